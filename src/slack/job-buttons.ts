// The buttons under a job's anchor, for the next step: Cancel while it waits or runs, Retry and Status after a
// failure, Refresh after a status. Values are small JSON; Slack signs the click, and every click goes through
// the same gate as a slash command.
import type { ActionsBlock } from '@slack/types';
import type { MeshCommand } from '../mesh-command.ts';
import type { JobName } from '../queue/job-types.ts';

export const JOB_CANCEL_ACTION = 'mesh_job_cancel';
export const JOB_RETRY_ACTION = 'mesh_job_retry';
export const JOB_STATUS_ACTION = 'mesh_job_status';
export const JOB_REFRESH_ACTION = 'mesh_job_refresh';

export type JobPhase = 'queued' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'cancelled';

export interface RerunValue {
  name: JobName;
  command: MeshCommand;
}

const button = (action_id: string, text: string, value: string, style?: 'primary' | 'danger') => ({
  type: 'button' as const,
  action_id,
  text: { type: 'plain_text' as const, text },
  value,
  ...(style ? { style } : {}),
});

/** The actions block for a job in this phase, or undefined when there is no next step to offer. */
export function jobButtons(phase: JobPhase, jobNumber: string, job?: RerunValue): ActionsBlock | undefined {
  const elements: ActionsBlock['elements'] = [];
  if (phase === 'queued' || phase === 'running' || phase === 'waiting')
    elements.push(button(JOB_CANCEL_ACTION, `Cancel job ${jobNumber}`, jobNumber));
  if (phase === 'failed' && job) {
    elements.push(button(JOB_RETRY_ACTION, 'Retry', JSON.stringify(job), 'primary'));
    elements.push(button(JOB_STATUS_ACTION, 'Status', ''));
  }
  if (phase === 'succeeded' && job?.name === 'status') elements.push(button(JOB_REFRESH_ACTION, 'Refresh', ''));
  return elements.length ? { type: 'actions', block_id: `job_${jobNumber}`, elements } : undefined;
}

const RERUNNABLE: ReadonlySet<string> = new Set(['up', 'up-plan', 'status', 'scale', 'ping', 'down', 'down-preview']);

/** Reads a Retry value back; undefined when it is not one this bot wrote. */
export function readRerunValue(value: string): RerunValue | undefined {
  try {
    const v = JSON.parse(value) as { name?: unknown; command?: { kind?: unknown } };
    if (typeof v.name !== 'string' || !RERUNNABLE.has(v.name) || typeof v.command?.kind !== 'string') return undefined;
    return v as RerunValue;
  } catch {
    return undefined;
  }
}

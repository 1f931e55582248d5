// What travels through Redis: plain JSON, no class instances, no secrets (credentials are resolved in the worker).
import { isMutating, type MeshCommand } from '../mesh-command.ts';

/**
 * Jobs the worker knows. `help` and `cancel` are answered by the web role at once and never queued;
 * `down-preview` lists what `down` would delete and posts the confirm button; `up-plan` observes, posts what
 * `up` would create or repair and its Apply button.
 */
export type JobName = Exclude<MeshCommand['kind'], 'help' | 'cancel'> | 'down-preview' | 'up-plan';

export interface JobData {
  name: JobName;
  command: MeshCommand;
  mesh: string;
  /** Slack user ID (U...) of who asked; never a display name. */
  userId: string;
  channelId: string;
  /** The anchor message in the channel that shows this job's progress; its thread holds the step replies. */
  anchorTs?: string;
  requestedAt: number;
  /** How many times a worker has started this job (a resumed job says so in the thread). */
  starts?: number;
  /**
   * A status's answer, reached before its worker stopped while answering those who joined it: the job came back
   * with it, and its next run gives it to the joiners not answered yet instead of running the status again (which,
   * for a cancelled one, would undo the cancel).
   */
  answer?: HandedBackAnswer;
}

export interface HandedBackAnswer {
  result: JobResult;
  outcome: 'succeeded' | 'failed' | 'cancelled';
  /** What the job fails with, as the run that reached the answer did; absent when its handler returned the answer. */
  reason?: string;
}

export interface JobResult {
  ok: boolean;
  /** The headline on the job's message. */
  summary: string;
  /** More sections under it (a status per cluster, a ping matrix). */
  details?: string[];
  /** What a check found (status): the anchor's icon shows this rather than the job's own success. */
  verdict?: 'ok' | 'warning' | 'failing';
}

/** Jobs that change the mesh run one at a time per mesh, across every worker. */
export function isMutatingJob(data: Pick<JobData, 'name' | 'command'>): boolean {
  return data.name !== 'down-preview' && data.name !== 'up-plan' && isMutating(data.command);
}

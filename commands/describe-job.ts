// How a job is named to people: the command as they would type it.
import type { JobData } from '../src/queue/job-types.ts';
import { describeCommand } from './parse.ts';

export function describeJob(data: Pick<JobData, 'name' | 'command'>): string {
  if (data.name === 'down-preview') return '/mesh down (confirmation)';
  if (data.name === 'up-plan') return '/mesh up (plan)';
  // Applied from the plan's button or with --confirm, it is the same up: its messages are titled alike.
  if (data.command.kind === 'up' && !data.command.dryRun) return describeCommand({ kind: 'up', dryRun: false });
  return describeCommand(data.command);
}

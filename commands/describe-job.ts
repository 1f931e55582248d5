// How a job is named to people: the command as they would type it.
import type { JobData } from '../src/queue/job-types.ts';
import { describeCommand } from './parse.ts';

export function describeJob(data: Pick<JobData, 'name' | 'command'>): string {
  if (data.name === 'down-preview') return '/mesh down (confirmation)';
  if (data.name === 'up-plan') return '/mesh up (plan)';
  return describeCommand(data.command);
}

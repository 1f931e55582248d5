// A job's end is counted by command and outcome; its duration is observed only when the run has one.
import { expect, it } from 'vitest';
import { jobEnded } from '../../../src/metrics/jobs.ts';
import { registry } from '../../../src/metrics/registry.ts';

async function sample(name: string, labels: string): Promise<number | undefined> {
  const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').at(-1)) : undefined;
}

it('counts a job given up without a run, and adds no duration for it', async () => {
  const labels = 'command="up",outcome="failed"';
  jobEnded('up', 'failed', 42);
  expect(await sample('meshops_jobs_total', labels)).toBe(1);
  expect(await sample('meshops_job_duration_seconds_count', labels)).toBe(1);
  expect(await sample('meshops_job_duration_seconds_sum', labels)).toBe(42);

  jobEnded('up', 'failed');
  expect(await sample('meshops_jobs_total', labels)).toBe(2);
  expect(await sample('meshops_job_duration_seconds_count', labels)).toBe(1);
  expect(await sample('meshops_job_duration_seconds_sum', labels)).toBe(42);
});

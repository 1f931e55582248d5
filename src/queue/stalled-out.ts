// A job found stalled more often than the workers' maxStalledCount (its worker died at every try: killed, out of
// memory at the same step) is marked by BullMQ's stalled check and failed by the next worker that takes it, without
// running the processor (bullmq: moveStalledJobsToWait sets the deferred failure, Worker.processJob fails the job
// with it). No processor is there to tell the job's thread, which would say "running" for ever: this does.
import type { Job, Worker } from 'bullmq';
import type { Logger } from 'pino';
import type { JobData, JobResult } from './job-types.ts';

/** BullMQ's failedReason for it. */
export const STALLED_OUT_REASON = 'job stalled more than allowable limit';

export function reportStalledOut(
  workers: Worker<JobData, JobResult>[],
  log: Logger,
  report: (job: Job<JobData, JobResult>) => Promise<void>,
): void {
  for (const w of workers) {
    w.on('failed', (job, err) => {
      if (!job || err.message !== STALLED_OUT_REASON) return;
      log.error({ jobId: job.id, starts: job.data.starts }, 'job given up: its worker stopped at every try');
      report(job).catch((e: unknown) => log.error({ err: e, jobId: job.id }, 'could not report a job given up'));
    });
  }
}

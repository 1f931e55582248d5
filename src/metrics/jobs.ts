// Job and queue metrics: the worker reports each job's start and end (src/queue/worker.ts), and the queues of
// this process are read at scrape time for their depth.
import type { Queue } from 'bullmq';
import { jobDuration, jobsTotal, jobWait, queueDepthSources } from './registry.ts';

export type JobOutcome = 'succeeded' | 'failed' | 'cancelled' | 'retried' | 'handed_back';

const STATES = ['waiting', 'active', 'delayed', 'prioritized'] as const;
const SCRAPE_TIMEOUT_MS = 2000;

/** A job started in a worker; its first start records how long it waited since it was queued. */
export function jobStarted(command: string, queuedAtMs: number, startedAtMs: number, firstStart: boolean): void {
  if (firstStart) jobWait.observe({ command }, Math.max(0, startedAtMs - queuedAtMs) / 1000);
}

/**
 * A job ended. `seconds` is how long this run took; a job BullMQ gave up without running it (its workers died at
 * every try) has no such time, so it is counted and adds nothing to the histogram rather than a made-up zero.
 */
export function jobEnded(command: string, outcome: JobOutcome, seconds?: number): void {
  jobsTotal.inc({ command, outcome });
  if (seconds !== undefined) jobDuration.observe({ command, outcome }, seconds);
}

/** Reports these queues' depth at each scrape (bounded: a scrape while Redis is away keeps the last values).
 * Returns the function that stops it (when the queues close). */
export function trackQueueDepth(queues: Queue[]): () => void {
  const mine = queues.map((q) => async () => {
    const timeout = new Promise<never>((_r, reject) =>
      setTimeout(() => reject(new Error('redis did not answer')), SCRAPE_TIMEOUT_MS).unref(),
    );
    const counts = await Promise.race([q.getJobCounts(...STATES), timeout]);
    return STATES.map((state) => ({ queue: q.name, state, count: counts[state] ?? 0 }));
  });
  queueDepthSources.push(...mine);
  return () => {
    for (const m of mine) queueDepthSources.splice(queueDepthSources.indexOf(m), 1);
  };
}

// Cancel requests live in Redis so that any web process can cancel a job that any worker runs.
import type { Redis } from 'ioredis';
import { hasJoiners } from './coalesce.ts';
import { jobIdOf, jobNumber } from './enqueue.ts';
import type { MeshQueues } from './queues.ts';

const TTL_SECONDS = 24 * 3600;

export function cancelKey(prefix: string, jobId: string): string {
  return `${prefix}:cancel:${jobId}`;
}

export async function requestCancel(redis: Redis, prefix: string, jobId: string, byUser: string): Promise<void> {
  await redis.set(cancelKey(prefix, jobId), byUser, 'EX', TTL_SECONDS);
}

/** The user who asked to cancel this job, if anyone did. */
export async function cancelRequestedBy(redis: Redis, prefix: string, jobId: string): Promise<string | null> {
  return redis.get(cancelKey(prefix, jobId));
}

/**
 * `/mesh cancel [job]`: a queued job is removed at once (nothing was done); a running one stops at its next
 * safe point and its thread says what was left in place. Without an ID: the running or next mutating job.
 */
export async function cancelJob(
  queues: MeshQueues,
  redis: Redis,
  prefix: string,
  jobId: string | undefined,
  userId: string,
): Promise<string> {
  let job = jobId
    ? ((await queues.changes.getJob(jobIdOf(jobId))) ?? (await queues.reads.getJob(jobIdOf(jobId))))
    : undefined;
  if (!jobId) {
    const [active, waiting] = await Promise.all([queues.changes.getActive(0, 1), queues.changes.getWaiting(0, 50)]);
    job = active[0] ?? waiting.sort((a, b) => a.timestamp - b.timestamp)[0];
    if (!job)
      return 'Nothing to cancel: no change to the mesh is running or queued. (Give a job number to cancel a read-only job.)';
  }
  if (!job) return `There is no job ${jobId}. The job number is in the job's message, e.g. "job 12".`;
  const state = await job.getState();
  const queued = state === 'waiting' || state === 'delayed' || state === 'prioritized' || state === 'waiting-children';
  // A queued status that others joined is not removed: it stops at its first safe point and tells them too.
  if (queued && !(await hasJoiners(redis, prefix, String(job.id)))) {
    await job.remove();
    return `Removed job ${jobNumber(job.id)} (\`${job.name}\`) from the queue before it started: nothing was done.`;
  }
  if (state === 'active' || queued) {
    await requestCancel(redis, prefix, String(job.id), userId);
    return `Job ${jobNumber(job.id)} (\`${job.name}\`) will stop at its next safe point; its thread will say what was left in place.`;
  }
  return `Job ${jobNumber(job.id)} is already ${state}: nothing to cancel.`;
}

// Which message is a job's anchor. The web role queues the job first and posts its anchor after, so the worker
// may start it before the anchor exists and post one itself: whoever records theirs first wins (SET NX), and the
// other deletes its own message, so a job never has two.
import type { Redis } from 'ioredis';

const TTL_SECONDS = 7 * 24 * 3600;

export const anchorKey = (prefix: string, jobId: string) => `${prefix}:anchor:${jobId}`;

/** Records `ts` as the job's anchor unless one was recorded first; returns the anchor that counts. */
export async function recordAnchor(redis: Redis, prefix: string, jobId: string, ts: string): Promise<string> {
  const won = await redis.set(anchorKey(prefix, jobId), ts, 'EX', TTL_SECONDS, 'NX');
  return won === 'OK' ? ts : ((await redis.get(anchorKey(prefix, jobId))) ?? ts);
}

export async function recordedAnchor(redis: Redis, prefix: string, jobId: string): Promise<string | undefined> {
  return (await redis.get(anchorKey(prefix, jobId))) ?? undefined;
}

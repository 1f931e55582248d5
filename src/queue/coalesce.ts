// Read-only jobs coalesce: a `/mesh status` asked while an identical one is queued or running joins it instead of
// becoming a job of its own (thousands of asks make one job, not thousands). Each asker still gets an anchor in
// the channel and the answer in their own thread when the job ends.
import type { Redis } from 'ioredis';
import type { JobData } from './job-types.ts';

export interface Joiner {
  userId: string;
  channelId: string;
  /** The joiner's message, when it was posted before joining (a web role of an earlier version). */
  anchorTs?: string;
  /**
   * The anchor claim (src/queue/anchor.ts) of the joiner's message: it joins first and posts after, so the job may
   * end in between; then the worker waits for that message and answers on it instead of posting one of its own.
   */
  claim?: string;
}

const openKey = (prefix: string) => `${prefix}:coalesce:status`;
/** The open job once it is in the queue: unknown to BullMQ after that means gone, not "about to be queued". */
const queuedKey = (prefix: string) => `${prefix}:coalesce:status:queued`;
const joinersKey = (prefix: string, jobId: string) => `${prefix}:joiners:${jobId}`;
const TTL_SECONDS = 3600;

/** Only a plain status coalesces: `--wait` polls on its own schedule, and a change job never joins another. */
export function coalesces(data: Pick<JobData, 'name' | 'command'>): boolean {
  return data.name === 'status' && data.command.kind === 'status' && !data.command.wait;
}

/** The open status job to join, if there is one. */
export async function openJob(redis: Redis, prefix: string): Promise<string | undefined> {
  return (await redis.get(openKey(prefix))) ?? undefined;
}

/** Marks `jobId` as the status job to join; false when another is already open. */
export async function markOpen(redis: Redis, prefix: string, jobId: string): Promise<boolean> {
  return (await redis.set(openKey(prefix), jobId, 'EX', TTL_SECONDS, 'NX')) === 'OK';
}

/** Records that the open job is now in the queue (see `markedSecondsAgo`). */
export async function markQueued(redis: Redis, prefix: string, jobId: string): Promise<void> {
  await redis.set(queuedKey(prefix), jobId, 'EX', TTL_SECONDS);
}

/** Whether `jobId` was put in the queue: then a queue that does not know it lost it (removed, or ended). */
export async function wasQueued(redis: Redis, prefix: string, jobId: string): Promise<boolean> {
  return (await redis.get(queuedKey(prefix))) === jobId;
}

/**
 * How long ago the open job was marked. The web role marks a status open before it queues it (so that a burst
 * of asks cannot each find none open and queue their own): for a moment it is open but not in the queue yet.
 */
export async function markedSecondsAgo(redis: Redis, prefix: string): Promise<number> {
  const ttl = await redis.ttl(openKey(prefix));
  return ttl < 0 ? Number.POSITIVE_INFINITY : TTL_SECONDS - ttl;
}

/** Forgets an open job that ended without closing (only if it is still the one marked open). */
export async function forgetOpen(redis: Redis, prefix: string, jobId: string): Promise<void> {
  if ((await redis.get(openKey(prefix))) === jobId) await redis.del(openKey(prefix));
}

/**
 * Joins an open job. Returns false when the job closed meanwhile (its worker already took the list of joiners),
 * so that the caller queues a job of its own instead.
 */
export async function join(redis: Redis, prefix: string, jobId: string, joiner: Joiner): Promise<boolean> {
  const entry = JSON.stringify(joiner);
  // One round trip: the web role does this for every ask of a burst.
  const res = (await redis
    .multi()
    .rpush(joinersKey(prefix, jobId), entry)
    .expire(joinersKey(prefix, jobId), TTL_SECONDS)
    .get(openKey(prefix))
    .exec()) as [Error | null, unknown][];
  if (res[2]?.[1] === jobId) return true;
  // Closed since: if our entry is still there the worker did not see it; take it back.
  return (await redis.lrem(joinersKey(prefix, jobId), 1, entry)) === 0;
}

/** Whether anyone joined this job: removing it from the queue would leave them without an answer. */
export async function hasJoiners(redis: Redis, prefix: string, jobId: string): Promise<boolean> {
  return (await redis.llen(joinersKey(prefix, jobId))) > 0;
}

/** At the end of a status job: closes it for joining and takes everyone who joined. */
export async function close(redis: Redis, prefix: string, jobId: string): Promise<Joiner[]> {
  if ((await redis.get(openKey(prefix))) === jobId) await redis.del(openKey(prefix));
  const [[, list]] = (await redis
    .multi()
    .lrange(joinersKey(prefix, jobId), 0, -1)
    .del(joinersKey(prefix, jobId))
    .exec()) as [[Error | null, string[]], [Error | null, number]];
  return list.map((s) => JSON.parse(s) as Joiner);
}

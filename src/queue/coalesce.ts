// Read-only jobs coalesce: a `/mesh status` asked while an identical one is queued or running joins it instead of
// becoming a job of its own (thousands of asks make one job, not thousands). Each asker still gets an anchor in
// the channel and the answer in their own thread when the job ends.
//
// Joining is one round trip (a Lua script): under a burst the web role does nothing more per ask than that and the
// ack. The asker's "joined" anchor is posted after, by the joined-anchor poster (joined-anchors.ts), from the list
// of pending joiners; the job's end answers every joiner, posting the anchor itself if the poster has not yet.
import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { JobData } from './job-types.ts';

export interface Joiner {
  /** Names the joiner's anchor claim (joinerAnchorKey); absent in entries of earlier versions (with anchorTs). */
  id?: string;
  userId: string;
  channelId: string;
  /** Set only by earlier versions, which posted the anchor before joining. */
  anchorTs?: string;
}

/** A joiner whose "joined" anchor is still to be posted. */
export interface PendingJoiner extends Joiner {
  id: string;
  jobId: string;
  title: string;
  state: 'running' | 'queued';
}

const openKey = (prefix: string) => `${prefix}:coalesce:status`;
/** The open job once it is in the queue: unknown to BullMQ after that means gone, not "about to be queued". */
const queuedKey = (prefix: string) => `${prefix}:coalesce:status:queued`;
const joinersKey = (prefix: string, jobId: string) => `${prefix}:joiners:${jobId}`;
export const pendingKey = (prefix: string) => `${prefix}:joined:pending`;
/** Anchor claims of joiners (src/queue/anchor.ts) live under this prefix, apart from the jobs' own anchors. */
export const joinerAnchorPrefix = (prefix: string) => `${prefix}:joined`;
/** The claim of one joiner's anchor, under joinerAnchorPrefix. */
export const joinerAnchorKey = (jobId: string, joinerId: string) => `${jobId}:${joinerId}`;
const TTL_SECONDS = 3600;
/**
 * How long a joiner's recorded anchor claim lives: past the life of the list that names the joiner (TTL_SECONDS,
 * renewed by each join), after which nobody would answer them. The job's end deletes it sooner, once answered.
 */
export const JOINER_CLAIM_SECONDS = 2 * TTL_SECONDS;
/**
 * The web role marks a status open before it queues it (so that a burst of asks cannot each find none open and
 * queue their own): for this long a job marked open but not yet known to the queue counts as queued.
 */
const BEING_QUEUED_SECONDS = 10;

/** Only a plain status coalesces: `--wait` polls on its own schedule, and a change job never joins another. */
export function coalesces(data: Pick<JobData, 'name' | 'command'>): boolean {
  return data.name === 'status' && data.command.kind === 'status' && !data.command.wait;
}

/** Marks `jobId` as the status job to join; false when another is already open. */
export async function markOpen(redis: Redis, prefix: string, jobId: string): Promise<boolean> {
  return (await redis.set(openKey(prefix), jobId, 'EX', TTL_SECONDS, 'NX')) === 'OK';
}

/** Records that the open job is now in the queue (see BEING_QUEUED_SECONDS). */
export async function markQueued(redis: Redis, prefix: string, jobId: string): Promise<void> {
  await redis.set(queuedKey(prefix), jobId, 'EX', TTL_SECONDS);
}

/** Forgets an open job that ended without closing (only if it is still the one marked open). */
export async function forgetOpen(redis: Redis, prefix: string, jobId: string): Promise<void> {
  if ((await redis.get(openKey(prefix))) === jobId) await redis.del(openKey(prefix));
}

// KEYS: open, queued, pending. ARGV: the queue's job key prefix, its active list, the joiners key prefix, TTL,
// BEING_QUEUED_SECONDS, then a joiner (JSON) and its title for each asker of the batch. A job that ended
// (finishedOn) or left the queue without closing is forgotten: the next status opens anew. Atomic with close():
// a joiner is on the list it takes, or not joined at all; the askers of one batch all join, or none does.
const JOIN = `local open = redis.call('GET', KEYS[1])
if not open then return false end
local job = ARGV[1] .. open
local state = false
if redis.call('EXISTS', job) == 1 then
  if redis.call('HEXISTS', job, 'finishedOn') == 0 then
    if redis.call('LPOS', ARGV[2], open) then state = 'running' else state = 'queued' end
  end
elseif redis.call('GET', KEYS[2]) ~= open and redis.call('TTL', KEYS[1]) > tonumber(ARGV[4]) - tonumber(ARGV[5]) then
  state = 'queued'
end
if not state then
  redis.call('DEL', KEYS[1])
  return false
end
local joiners = ARGV[3] .. open
for i = 6, #ARGV, 2 do
  redis.call('RPUSH', joiners, ARGV[i])
  local pending = cjson.decode(ARGV[i])
  pending.jobId = open
  pending.state = state
  pending.title = ARGV[i + 1]
  redis.call('RPUSH', KEYS[3], cjson.encode(pending))
end
redis.call('EXPIRE', joiners, ARGV[4])
redis.call('EXPIRE', KEYS[3], ARGV[4])
return {open, state}`;

type JoinCommand = (...args: string[]) => Promise<[string, 'running' | 'queued'] | null>;
type Joined = { jobId: string; state: 'running' | 'queued' } | undefined;

/**
 * Asks that come within this long of one another join in one round trip: under a burst the acking thread makes
 * one Redis call for a few asks, not one each (each is a socket write and a reply to read on the thread that
 * acks). The delay falls after the ack, before the "joined" anchor, which is posted later anyway.
 */
const JOIN_WINDOW_MS = 5;
const JOIN_BATCH_MAX = 100;

interface Batch {
  askers: Array<{ joiner: string; title: string; settle: (r: Joined | Error) => void }>;
  timer?: NodeJS.Timeout;
}
const batches = new WeakMap<Redis, Map<string, Batch>>();

async function sendBatch(redis: Redis, prefix: string, reads: Pick<Queue, 'toKey'>, batch: Batch): Promise<void> {
  const named = redis as unknown as { meshopsJoinStatus?: JoinCommand };
  if (!named.meshopsJoinStatus) redis.defineCommand('meshopsJoinStatus', { numberOfKeys: 3, lua: JOIN });
  try {
    const res = await named.meshopsJoinStatus!(
      openKey(prefix),
      queuedKey(prefix),
      pendingKey(prefix),
      reads.toKey(''),
      reads.toKey('active'),
      `${prefix}:joiners:`,
      String(TTL_SECONDS),
      String(BEING_QUEUED_SECONDS),
      ...batch.askers.flatMap((a) => [a.joiner, a.title]),
    );
    const joined: Joined = res ? { jobId: res[0], state: res[1] } : undefined;
    for (const a of batch.askers) a.settle(joined);
  } catch (err) {
    for (const a of batch.askers) a.settle(err instanceof Error ? err : new Error(String(err)));
  }
}

/**
 * Joins the open status job, if there is one still queued or running: one round trip for the asks of a few
 * milliseconds (JOIN_WINDOW_MS). Returns the job and its state, or undefined (none open, or it ended), when the
 * caller queues a job of its own.
 */
export function joinOpen(
  redis: Redis,
  prefix: string,
  reads: Pick<Queue, 'toKey'>,
  asker: { userId: string; channelId: string; title: string },
): Promise<Joined> {
  const joiner: Joiner = { id: randomUUID(), userId: asker.userId, channelId: asker.channelId };
  let byQueue = batches.get(redis);
  if (!byQueue) batches.set(redis, (byQueue = new Map()));
  const open = byQueue;
  const key = `${prefix}\n${reads.toKey('')}`;
  const flush = (b: Batch) => {
    clearTimeout(b.timer);
    if (open.get(key) === b) open.delete(key);
    void sendBatch(redis, prefix, reads, b);
  };
  let batch = open.get(key);
  if (!batch) {
    const fresh: Batch = { askers: [] };
    fresh.timer = setTimeout(() => flush(fresh), JOIN_WINDOW_MS);
    open.set(key, fresh);
    batch = fresh;
  }
  const mine = batch;
  return new Promise<Joined>((resolve, reject) => {
    mine.askers.push({
      joiner: JSON.stringify(joiner),
      title: asker.title,
      settle: (r) => (r instanceof Error ? reject(r) : resolve(r)),
    });
    if (mine.askers.length >= JOIN_BATCH_MAX) flush(mine);
  });
}

/** Whether anyone joined this job: removing it from the queue would leave them without an answer. */
export async function hasJoiners(redis: Redis, prefix: string, jobId: string): Promise<boolean> {
  return (await redis.llen(joinersKey(prefix, jobId))) > 0;
}

/** Set when a job's end took its joiners: their anchors come with the answer, so "joined" need not be posted. */
const answeredKey = (prefix: string, jobId: string) => `${prefix}:joined:answered:${jobId}`;

/** At the end of a status job: closes it for joining and takes everyone who joined. */
export async function close(redis: Redis, prefix: string, jobId: string): Promise<Joiner[]> {
  if ((await redis.get(openKey(prefix))) === jobId) await redis.del(openKey(prefix));
  const [[, list]] = (await redis
    .multi()
    .lrange(joinersKey(prefix, jobId), 0, -1)
    .del(joinersKey(prefix, jobId))
    .set(answeredKey(prefix, jobId), '1', 'EX', TTL_SECONDS)
    .exec()) as [[Error | null, string[]], [Error | null, number]];
  return list.map((s) => JSON.parse(s) as Joiner);
}

/**
 * Puts joiners a shutting-down worker could not answer back on the job's list, for the job's next run (it goes
 * back to the queue) to answer. Their anchors still come with the answer: the job stays marked answered.
 */
export async function giveBack(redis: Redis, prefix: string, jobId: string, joiners: Joiner[]): Promise<void> {
  if (joiners.length === 0) return;
  await redis
    .multi()
    .rpush(joinersKey(prefix, jobId), ...joiners.map((j) => JSON.stringify(j)))
    .expire(joinersKey(prefix, jobId), TTL_SECONDS)
    .exec();
}

/** Of these jobs, the ones whose end has taken their joiners (close): one round trip. */
export async function answeredJobs(redis: Redis, prefix: string, jobIds: string[]): Promise<Set<string>> {
  if (jobIds.length === 0) return new Set();
  const marks = await redis.mget(jobIds.map((id) => answeredKey(prefix, id)));
  return new Set(jobIds.filter((_, i) => marks[i] !== null));
}

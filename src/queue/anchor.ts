// Which message is a job's anchor, and who may post it. The web role queues a job first and posts its anchor
// after, so the worker may start the job before the anchor exists. Posting is claimed first (SET NX): the web role
// claims before it queues, so a worker that starts the job finds the claim and waits for that anchor instead of
// posting its own; it posts one only when nobody holds the claim (the web role could not post, or died first).
// The claim expires, so a holder that died does not leave the job without an anchor. Once recorded, the anchor
// is kept as long as the job may still run (a change can wait long in line); the job's end shortens that to a
// margin for a late worker, and the claims of those who joined a status are deleted once they are answered.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A recorded anchor's life unless the claim says otherwise: a change job may wait in line for days. */
const TTL_SECONDS = 7 * 24 * 3600;
/**
 * How long a job's anchor stays known after the job ended: a worker that lost the job (its lock ran out) and
 * still reports finds it instead of posting a second one. Nothing else reads it after the end.
 */
export const ANCHOR_GRACE_SECONDS = 3600;
const PENDING = 'pending:';
/**
 * Longer than a post mostly takes (src/slack/client.ts): three tries of 10 s at most, and up to 30 s waiting out
 * Slack's 429s. A slower holder still leaves one anchor: record() answers the other's, and the holder deletes its own.
 */
export const ANCHOR_HOLD_MS = 90_000;

const anchorKey = (prefix: string, jobId: string) => `${prefix}:anchor:${jobId}`;

/** Records ts if the claim is still the holder's (or gone); answers the anchor that counts. */
const RECORD = `local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) return ARGV[2] end
if string.sub(v, 1, 8) == 'pending:' then return false end
return v`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
/** Shortens a key's life to ARGV[1] seconds, never lengthens it (EXPIRE's LT needs Redis 7). */
const SHORTEN = `local t = redis.call('TTL', KEYS[1])
if t == -1 or t > tonumber(ARGV[1]) then return redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return 0`;

export interface AnchorClaim {
  /** Claims the right to post the anchor, or answers the one posted; waits while another holder posts. */
  take(): Promise<'mine' | { ts: string }>;
  /** Records the posted anchor; answers the anchor that counts (another one only if the claim had expired). */
  record(ts: string): Promise<string>;
  /** Gives the claim back (the post failed), so a later attempt or the worker can post. */
  release(): Promise<void>;
}

export function anchorClaim(
  redis: Redis,
  prefix: string,
  jobId: string,
  opts: { holdMs?: number; pollMs?: number; ttlSeconds?: number } = {},
): AnchorClaim {
  const key = anchorKey(prefix, jobId);
  const holder = `${PENDING}${randomUUID()}`;
  const holdMs = opts.holdMs ?? ANCHOR_HOLD_MS;
  const ttl = String(opts.ttlSeconds ?? TTL_SECONDS);
  const claim = {
    take: async (): Promise<'mine' | { ts: string }> => {
      for (;;) {
        if ((await redis.set(key, holder, 'PX', holdMs, 'NX')) === 'OK') return 'mine';
        const v = await redis.get(key);
        if (v === holder) return 'mine';
        if (v !== null && !v.startsWith(PENDING)) return { ts: v };
        // Another holder is posting it (or it was just released): look again shortly.
        if (v !== null) await new Promise((r) => setTimeout(r, opts.pollMs ?? 100));
      }
    },
    record: async (ts: string): Promise<string> => {
      const counts = (await redis.eval(RECORD, 1, key, holder, ts, ttl)) as string | null;
      // Another holder took over after this claim expired and has not posted yet: this one counts after all.
      if (counts === null) {
        await redis.set(key, ts, 'EX', ttl);
        return ts;
      }
      return counts;
    },
    release: async (): Promise<void> => {
      await redis.eval(RELEASE, 1, key, holder);
    },
  };
  return claim;
}

/** The anchor posted for a job, if one is (a claim that is still being posted is not one). */
export async function recordedAnchor(redis: Redis, prefix: string, jobId: string): Promise<string | undefined> {
  const v = await redis.get(anchorKey(prefix, jobId));
  return v === null || v.startsWith(PENDING) ? undefined : v;
}

/** At a job's end: its anchor is kept only for the grace period (ANCHOR_GRACE_SECONDS). */
export async function settleAnchor(
  redis: Redis,
  prefix: string,
  jobId: string,
  seconds = ANCHOR_GRACE_SECONDS,
): Promise<void> {
  await redis.eval(SHORTEN, 1, anchorKey(prefix, jobId), String(seconds));
}

/** Deletes these anchors' claims (joiners answered: nobody posts or reads them again); one round trip a thousand. */
export async function forgetAnchors(redis: Redis, prefix: string, ids: string[]): Promise<void> {
  for (let i = 0; i < ids.length; i += 1000)
    await redis.del(...ids.slice(i, i + 1000).map((id) => anchorKey(prefix, id)));
}

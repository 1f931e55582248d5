// The edit budget of the whole app, kept in Redis: Slack counts a method's calls per app and workspace, so every
// worker process (and every thread of one) takes from one bucket per method. A Lua script refills and takes in
// one step, so two processes taking at once never both take the last edit; it reads Redis's clock, so processes
// whose clocks differ still agree on the refill. While Redis does not answer, each process falls back to its own
// budget (edit-budget.ts): progress edits go on, paced per process, and the log says so.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  type BudgetRate,
  DEFAULT_EDIT_BURST,
  DEFAULT_EDITS_PER_MINUTE,
  type EditBudget,
  makeEditBudget,
} from './edit-budget.ts';

/** How long a take waits for Redis before it uses the local budget: an edit is due about every second. */
const REDIS_WAIT_MS = 500;

/**
 * KEYS[1] the bucket; ARGV: tokens per ms, burst, force (1/0). Returns 0 when an edit was taken, else the ms
 * until one is available. The debt a forced take runs up is bounded by the burst, as in the local budget.
 */
const TAKE = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local v = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(v[1]) or burst
local at = tonumber(v[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 or ARGV[3] == '1' then
  tokens = math.max(tokens - 1, -burst)
else
  wait = math.ceil((1 - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(2 * burst / rate) + 1000)
return wait`;

export interface SharedBudgetOptions extends BudgetRate {
  /** A connection that fails fast while Redis is down (not the workers' blocking one). */
  redis: Redis;
  /** The deployment's key prefix: one Slack app per prefix. */
  prefix: string;
  log: Logger;
  /** The Web API method the bucket counts. */
  method?: string;
  /** How long to wait for Redis before using the local budget. */
  redisWaitMs?: number;
}

const budgetKey = (prefix: string, method: string) => `${prefix}:slack-budget:${method}`;

export function makeSharedEditBudget(opts: SharedBudgetOptions): EditBudget {
  const perMinute = opts.perMinute ?? DEFAULT_EDITS_PER_MINUTE;
  const burst = opts.burst ?? DEFAULT_EDIT_BURST;
  const method = opts.method ?? 'chat.update';
  const key = budgetKey(opts.prefix, method);
  const local = makeEditBudget({ perMinute, burst });
  const waitMs = opts.redisWaitMs ?? REDIS_WAIT_MS;
  let degraded = false;

  const fromRedis = async (force: boolean): Promise<number> => {
    if (opts.redis.status !== 'ready') throw new Error(`Redis connection ${opts.redis.status}`);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis did not answer within ${waitMs} ms`)), waitMs);
    });
    try {
      const call = opts.redis.eval(TAKE, 1, key, String(perMinute / 60_000), String(burst), force ? '1' : '0');
      // An answer after the wait is dropped: this edit used the local budget by then.
      call.catch(() => undefined);
      return Number(await Promise.race([call, late]));
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    async take(now, force = false) {
      try {
        const wait = await fromRedis(force);
        if (degraded) {
          degraded = false;
          opts.log.info({ method }, 'Redis answers again: progress edits share the app budget with every process');
        }
        return wait;
      } catch (err) {
        if (!degraded) {
          degraded = true;
          opts.log.warn(
            { method, err: { message: (err as Error).message } },
            "Redis does not answer: progress edits use this process's own budget until it is back",
          );
        }
        return local.take(now, force);
      }
    },
  };
}

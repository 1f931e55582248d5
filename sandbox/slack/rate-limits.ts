// Slack's rate limits as token buckets: chat.postMessage about 1 per second per channel with a short burst,
// the tiered methods per workspace (tier 3 about 50 per minute). An empty bucket means HTTP 429 + Retry-After.

export interface BucketRule {
  /** Calls allowed at once before the steady rate applies. */
  burst: number;
  /** Steady rate, calls per second. */
  perSecond: number;
  /** 'channel' keys the bucket by the call's channel; 'workspace' shares one bucket for the method. */
  scope: 'channel' | 'workspace';
}

export type RateLimitConfig = Record<string, BucketRule>;

const tier = (perMinute: number, burst: number): BucketRule => ({
  burst,
  perSecond: perMinute / 60,
  scope: 'workspace',
});

/** Defaults after docs.slack.dev's rate limit tiers; apps.connections.open is tier 1 but reconnects need room. */
export const DEFAULT_RATE_LIMITS: RateLimitConfig = {
  'chat.postMessage': { burst: 4, perSecond: 1, scope: 'channel' },
  'chat.update': tier(50, 10),
  'chat.delete': tier(50, 10),
  'chat.postEphemeral': tier(100, 20),
  'reactions.add': tier(50, 10),
  'conversations.info': tier(50, 20),
  'conversations.history': tier(50, 20),
  'conversations.replies': tier(50, 20),
  'users.info': tier(100, 20),
  'files.getUploadURLExternal': tier(20, 10),
  'files.completeUploadExternal': tier(20, 10),
  'apps.connections.open': tier(1, 20),
};

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export class RateLimiter {
  readonly #rules: RateLimitConfig;
  readonly #buckets = new Map<string, Bucket>();
  readonly #now: () => number;

  constructor(rules: RateLimitConfig, now: () => number = Date.now) {
    this.#rules = rules;
    this.#now = now;
  }

  /** Takes one call from the method's bucket; returns the seconds to wait when there is none left. */
  take(method: string, channel: string | undefined): { ok: true } | { ok: false; retryAfterSec: number } {
    const rule = this.#rules[method];
    if (!rule) return { ok: true };
    const key = rule.scope === 'channel' ? `${method}:${channel ?? ''}` : method;
    const now = this.#now();
    const b = this.#buckets.get(key) ?? { tokens: rule.burst, updatedMs: now };
    b.tokens = Math.min(rule.burst, b.tokens + ((now - b.updatedMs) / 1000) * rule.perSecond);
    b.updatedMs = now;
    this.#buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    // Slack sends whole seconds; never 0, or a client would retry at once.
    const retryAfterSec = Math.max(1, Math.ceil((1 - b.tokens) / rule.perSecond));
    return { ok: false, retryAfterSec };
  }
}

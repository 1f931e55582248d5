// What the watch keeps in Redis, per mesh: its settings, the incident state, up's RTT baselines, the last 288
// passes (a day at 5 minutes) and the last closed incidents. Plain JSON under `<prefix>:watch:<mesh>:*`.
import type { Redis } from 'ioredis';
import type { Incident, WatchState } from './incidents.ts';
import type { RttBaselines } from './rtt.ts';

export const PASSES_KEPT = 288;
const CLOSED_KEPT = 20;
export const DEFAULT_EVERY_MS = 5 * 60_000;

export interface WatchSettings {
  enabled: boolean;
  everyMs: number;
  /** Where alerts go: the channel of the last successful `/mesh up`. */
  channelId?: string;
  /** Who changed it last (Slack user ID) and when. */
  by?: string;
  at?: number;
}

export interface PassRecord {
  at: number;
  /** How long the pass took (ms). */
  ms: number;
  /** Checks not ok, and every check. */
  bad: number;
  total: number;
  /** Every ordered pair's federation reported InSync. */
  synced: boolean;
  /** The verdict headline of the pass, as status would say it. */
  headline: string;
  /** Calls this pass made (for the cost of the watch). */
  awsCalls?: number;
  kubeCalls?: number;
}

export interface ClosedIncident {
  id: string;
  openedAt: number;
  closedAt: number;
  /** The first broken check, as the alert named it. */
  what: string;
  checks: number;
}

export interface StoredState {
  incidents: WatchState;
  /** Pair -> passes in a row above its RTT limit. */
  slow: Record<string, number>;
}

export class WatchStore {
  private readonly redis: Redis;
  private readonly base: string;
  constructor(redis: Redis, prefix: string, mesh: string) {
    this.redis = redis;
    this.base = `${prefix}:watch:${mesh}`;
  }

  private async json<T>(key: string): Promise<T | undefined> {
    const raw = await this.redis.get(`${this.base}:${key}`);
    return raw ? (JSON.parse(raw) as T) : undefined;
  }

  async settings(defaultEveryMs = DEFAULT_EVERY_MS): Promise<WatchSettings | undefined> {
    const s = await this.json<WatchSettings>('settings');
    return s ? { ...s, everyMs: s.everyMs || defaultEveryMs } : undefined;
  }

  async saveSettings(s: WatchSettings): Promise<void> {
    await this.redis.set(`${this.base}:settings`, JSON.stringify(s));
  }

  async state(): Promise<StoredState> {
    return (await this.json<StoredState>('state')) ?? { incidents: {}, slow: {} };
  }

  async saveState(s: StoredState): Promise<void> {
    await this.redis.set(`${this.base}:state`, JSON.stringify(s));
  }

  /** Up's verification re-baselines: the watch's memory of what broke before is cleared with it. */
  async saveBaselines(rtt: RttBaselines): Promise<void> {
    await this.redis.set(`${this.base}:baselines`, JSON.stringify(rtt));
  }

  async baselines(): Promise<RttBaselines> {
    return (await this.json<RttBaselines>('baselines')) ?? {};
  }

  async recordPass(p: PassRecord): Promise<void> {
    const key = `${this.base}:passes`;
    await this.redis
      .multi()
      .lpush(key, JSON.stringify(p))
      .ltrim(key, 0, PASSES_KEPT - 1)
      .exec();
  }

  /** Newest first. */
  async passes(count = PASSES_KEPT): Promise<PassRecord[]> {
    const raw = await this.redis.lrange(`${this.base}:passes`, 0, count - 1);
    return raw.map((r) => JSON.parse(r) as PassRecord);
  }

  async recordClosed(i: Incident, closedAt: number): Promise<void> {
    const key = `${this.base}:closed`;
    const first = i.bad[i.keys[0]!];
    const c: ClosedIncident = {
      id: i.id,
      openedAt: i.openedAt,
      closedAt,
      what: first ? `${first.subject}: ${first.detail}` : i.keys[0]!,
      checks: i.keys.length,
    };
    await this.redis
      .multi()
      .lpush(key, JSON.stringify(c))
      .ltrim(key, 0, CLOSED_KEPT - 1)
      .exec();
  }

  /** Newest first. */
  async closed(count = CLOSED_KEPT): Promise<ClosedIncident[]> {
    const raw = await this.redis.lrange(`${this.base}:closed`, 0, count - 1);
    return raw.map((r) => JSON.parse(r) as ClosedIncident);
  }

  /** One pass at a time across workers (a pass slower than the interval must not overlap the next). */
  async lock(ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    const key = `${this.base}:lock`;
    const token = `${process.pid}-${Date.now()}-${Math.random()}`;
    if ((await this.redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') return undefined;
    return async () => {
      if ((await this.redis.get(key)) === token) await this.redis.del(key);
    };
  }
}

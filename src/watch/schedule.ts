// The watch's timing: a BullMQ job scheduler on the mesh's watch queue, not a timer in one process, so that it
// survives restarts and one pass runs per interval however many workers there are. `every` schedulers run their
// first pass at once (BullMQ's job-scheduler.js), which is what `/mesh up` and `/mesh watch on` want.
import { type ConnectionOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { DEFAULT_EVERY_MS, type WatchSettings, WatchStore } from './store.ts';

export interface WatchPassData {
  mesh: string;
}

export const watchQueueName = (prefix: string, mesh: string) => `${prefix}-${mesh}-watch`;
const schedulerId = (mesh: string) => `watch-${mesh}`;
export const WATCH_PASS = 'watch-pass';

export interface WatchControl {
  store: WatchStore;
  /** The interval when nobody set one (WATCH_INTERVAL_SECONDS). */
  defaultEveryMs: number;
  /** Turns it on (or changes the interval) and remembers who did. */
  enable(opts: { everyMs?: number; by?: string; channelId?: string }): Promise<WatchSettings>;
  disable(by?: string): Promise<WatchSettings>;
  /** Stops the passes but keeps the setting (after `/mesh down`: the next `/mesh up` starts them again). */
  pause(): Promise<void>;
  /** When the next pass is due (ms), if the scheduler exists. */
  nextAt(): Promise<number | undefined>;
  close(): Promise<void>;
}

export function openWatch(opts: {
  connection: ConnectionOptions;
  redis: Redis;
  prefix: string;
  mesh: string;
  defaultEveryMs?: number;
}): WatchControl {
  const queue = new Queue<WatchPassData>(watchQueueName(opts.prefix, opts.mesh), { connection: opts.connection });
  const store = new WatchStore(opts.redis, opts.prefix, opts.mesh);
  const defaultEveryMs = opts.defaultEveryMs ?? DEFAULT_EVERY_MS;
  const id = schedulerId(opts.mesh);
  return {
    store,
    defaultEveryMs,
    async enable({ everyMs, by, channelId }) {
      const before = await store.settings(defaultEveryMs);
      const s: WatchSettings = {
        enabled: true,
        everyMs: everyMs ?? before?.everyMs ?? defaultEveryMs,
        at: Date.now(),
      };
      const channel = channelId ?? before?.channelId;
      if (channel) s.channelId = channel;
      if (by) s.by = by;
      await queue.upsertJobScheduler(
        id,
        { every: s.everyMs },
        {
          name: WATCH_PASS,
          data: { mesh: opts.mesh },
          // A pass that fails is logged and the next one comes anyway: retrying would only double the calls.
          opts: { attempts: 1, removeOnComplete: { count: 20 }, removeOnFail: { count: 20 } },
        },
      );
      await store.saveSettings(s);
      return s;
    },
    async disable(by) {
      const before = await store.settings(defaultEveryMs);
      await queue.removeJobScheduler(id);
      const s: WatchSettings = { ...(before ?? { everyMs: defaultEveryMs }), enabled: false, at: Date.now() };
      if (by) s.by = by;
      await store.saveSettings(s);
      return s;
    },
    async pause() {
      await queue.removeJobScheduler(id);
    },
    async nextAt() {
      return (await queue.getJobScheduler(id))?.next;
    },
    close: () => queue.close(),
  };
}

// Work due at a time rather than on a click: a confirmation's expiry. A delayed BullMQ job in a queue of its own
// lives in Redis, so it survives restarts and runs on whichever worker is up when it falls due. The expiry claims
// the confirmation's nonce like a click would: whichever comes first, the click or the expiry, is the only one.
import type { WebClient } from '@slack/web-api';
import { type ConnectionOptions, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type ConfirmKind, claimConfirmation } from '../slack/down-confirm.ts';
import { type EditBudget, processEditBudget } from '../slack/edit-budget.ts';
import { context, safeText } from '../slack/format.ts';

export interface ExpiryData {
  kind: ConfirmKind;
  nonce: string;
  channel: string;
  /** The confirmation message. */
  ts: string;
  /** When its buttons expire (ms since the epoch). */
  exp: number;
  /** What the message says once expired. */
  outcome: string;
  /** The blocks it keeps (what was planned, what it costs); the buttons go. */
  kept: object[];
}

export interface Timers {
  /** Edits the confirmation to `outcome` at `exp`, unless a click used it first. */
  expireConfirmation(e: ExpiryData): Promise<void>;
  close(): Promise<void>;
}

interface TimerDeps {
  connection: ConnectionOptions;
  redis: Redis;
  prefix: string;
  mesh: string;
  slack: WebClient;
  log: Logger;
  /** The app's budget for chat.update, which the workers' progress edits take from too. */
  editBudget?: EditBudget;
}

export const timersQueueName = (prefix: string, mesh: string) => `${prefix}-${mesh}-timers`;

export function startTimers(deps: TimerDeps): Timers {
  const name = timersQueueName(deps.prefix, deps.mesh);
  const queue = new Queue<ExpiryData>(name, {
    connection: deps.connection,
    defaultJobOptions: {
      // A Slack outage at expiry: the edit is tried again; the claim is already this expiry's.
      attempts: 5,
      backoff: { type: 'exponential', delay: 5000 },
      removeOnComplete: { count: 200 },
      removeOnFail: { count: 200 },
    },
  });
  const worker = new Worker<ExpiryData>(name, async (job) => expire(deps, job.data), {
    connection: deps.connection,
    concurrency: 4,
  });
  worker.on('error', (err) => deps.log.error({ err }, 'timers worker error'));
  return {
    expireConfirmation: async (e) => {
      await queue.add('confirm-expiry', e, {
        jobId: `expiry-${e.kind}-${e.nonce}`,
        delay: Math.max(0, e.exp - Date.now()),
      });
    },
    close: async () => {
      await Promise.allSettled([worker.close(), queue.close()]);
    },
  };
}

async function expire(deps: TimerDeps, e: ExpiryData): Promise<void> {
  const before = await claimConfirmation(
    deps.redis,
    deps.prefix,
    e.nonce,
    { userId: '', action: 'expired' },
    e.kind,
    e.exp - Date.now(),
  );
  // Used in time (applied, cancelled) or already settled by a late click: the message says so already.
  if (before && before.action !== 'expired') return;
  if (before?.userId) return;
  // A final state, so it goes now, but it counts: the progress edits after it wait the longer.
  await (deps.editBudget ?? processEditBudget).take(Date.now(), true);
  await deps.slack.chat.update({
    channel: e.channel,
    ts: e.ts,
    text: safeText(e.outcome),
    blocks: [...e.kept, context(e.outcome)] as never,
  });
  deps.log.info({ kind: e.kind, channel: e.channel, ts: e.ts }, 'confirmation expired');
}

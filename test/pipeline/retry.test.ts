// A transient failure (a reset connection, throttling the SDK gave up on) is retried automatically after a backoff:
// the channel is told, and the next attempt continues the plan. A permanent one (a missing permission) is not.
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runPlanJob } from '../../jobs/run-plan.ts';
import { type SlackStandIn, startSlackStandIn } from '../../sandbox/slack/web-api.ts';
import { systemClock } from '../../src/clock.ts';
import { PermanentError } from '../../src/errors.ts';
import { queueNames } from '../../src/queue/queues.ts';
import type { JobHandler } from '../../src/queue/worker.ts';
import { leaf, sequential } from '../../src/steps/step.ts';
import { ADMIN, CHANNEL, SIGNING_SECRET, startTestBot, type TestBot } from '../helpers/bot.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let slack: SlackStandIn;
let bot: TestBot;
/** Every text the anchor of a job has shown, in order (it is edited in place). */
const anchorHistory = new Map<string, string[]>();
let failure: () => Error;
let failuresLeft = 0;

// The real runner and thread reporting; only the step's work is made up: it fails while failuresLeft > 0.
const up: JobHandler = async (ctx) => {
  const plan = sequential('up', 'mesh up', [
    leaf('a', 'make a', async () => ({ summary: 'a made', changed: true })),
    leaf('b', 'make b', async () => {
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        throw failure();
      }
      return { summary: 'b made', changed: true };
    }),
  ]);
  await runPlanJob(ctx, systemClock, plan, { heading: 'plan' });
  return { ok: true, summary: 'mesh up' };
};

beforeAll(async () => {
  redis = await startRedis();
  slack = await startSlackStandIn({
    rateLimits: false,
    botToken: 'xoxb-test-meshops-bot',
    channels: [{ id: CHANNEL, name: 'mesh-ops' }],
  });
  slack.onChange((c) => {
    if (c.kind !== 'message' && c.kind !== 'edit') return;
    if (c.message.threadTs) return;
    anchorHistory.set(c.message.ts, [...(anchorHistory.get(c.message.ts) ?? []), c.message.text ?? '']);
  });
  bot = await startTestBot({
    redisUrl: redis.url,
    slackApiUrl: slack.apiUrl,
    role: 'all',
    overrides: { handlers: { up } },
  });
});

afterAll(async () => {
  await bot?.meshops.stop();
  await slack?.close();
  await redis?.stop();
});

/** How many `up` jobs this file has run: each ends as one completed or failed BullMQ job. */
let runs = 0;

async function runUp() {
  runs++;
  const res = await slack.slashCommand({
    text: `up --confirm ${bot.config.spec.name}`,
    userId: ADMIN,
    channelId: CHANNEL,
    to: { http: { url: bot.eventsUrl, signingSecret: SIGNING_SECRET } },
  });
  expect(res.status).toBe(200);
  const anchor = await slack.waitFor(
    (m) =>
      /\/mesh up/.test(m.text ?? '') &&
      !m.threadTs &&
      !anchorHistory.get(m.ts)?.some((t) => /^:(white_check_mark|x):/.test(t)),
    10_000,
  );
  const final = await slack.waitFor((m) => m.ts === anchor.ts && /^:(white_check_mark|x):/.test(m.text ?? ''), 60_000);
  return {
    final,
    history: anchorHistory.get(anchor.ts) ?? [],
    thread: slack.thread(CHANNEL, anchor.ts).map((m) => m.text ?? ''),
  };
}

async function lastJob() {
  const q = new Queue(queueNames(bot.prefix, bot.config.spec.name).changes, {
    connection: { host: '127.0.0.1', port: redis.port },
  });
  try {
    // The final message is posted just before BullMQ records the job's end: wait for that record, one per run.
    return await vi.waitFor(
      async () => {
        const jobs = (await q.getJobs(['completed', 'failed'])).sort((a, b) => a.timestamp - b.timestamp);
        if (jobs.length < runs) throw new Error(`${jobs.length} of ${runs} jobs recorded as ended`);
        const job = jobs.at(-1)!;
        return { state: await job.getState(), attemptsMade: job.attemptsMade };
      },
      { timeout: 10_000, interval: 50 },
    );
  } finally {
    await q.close();
  }
}

describe('automatic retry', () => {
  it('a transient failure is retried after a backoff, the channel is told, and the next attempt finishes', async () => {
    failure = () => new Error('socket hang up');
    failuresLeft = 1;
    const { final, history, thread } = await runUp();
    expect(final.text).toMatch(/^:white_check_mark:/);
    expect(history).toContainEqual(
      expect.stringMatching(/make b: socket hang up \(transient\): trying again automatically \(2 attempts left\)/),
    );
    expect(thread).toContainEqual(expect.stringMatching(/^:x: \*make b\* failed after .*: socket hang up$/));
    expect(thread).toContainEqual(expect.stringMatching(/^:repeat: Resuming/));
    expect(thread).toContainEqual(expect.stringMatching(/^:white_check_mark: \*make b\* .*: b made$/));
    expect(await lastJob()).toEqual({ state: 'completed', attemptsMade: 2 });
  }, 90_000);

  it('a permanent failure is not retried: the job fails at once, saying why', async () => {
    failure = () =>
      new PermanentError('AccessDenied: not authorized to perform ec2:CreateVpc', { code: 'AccessDenied' });
    failuresLeft = 1;
    const { final, history } = await runUp();
    expect(final.text).toMatch(/^:x:/);
    expect(final.text).toMatch(/AccessDenied: not authorized to perform ec2:CreateVpc/);
    expect(history.join('\n')).not.toMatch(/trying again automatically/);
    expect(await lastJob()).toEqual({ state: 'failed', attemptsMade: 1 });
  }, 90_000);
});

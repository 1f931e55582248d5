// A burst of asks that join one status: every asker is answered on one anchor of their own, in their own thread,
// and what the joins left in Redis goes once they are answered (a burst of thousands must not leave thousands of
// keys behind for a week).
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type SlackStandIn, startSlackStandIn } from '../../sandbox/slack/web-api.ts';
import { PermanentError } from '../../src/errors.ts';
import { ANCHOR_GRACE_SECONDS } from '../../src/queue/anchor.ts';
import { requestCancel } from '../../src/queue/cancel.ts';
import { queueNames } from '../../src/queue/queues.ts';
import { ADMIN, CHANNEL, SIGNING_SECRET, startTestBot, type TestBot } from '../helpers/bot.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let r: Redis;
const stops: Array<() => Promise<void>> = [];

beforeAll(async () => {
  redis = await startRedis();
  r = new Redis(redis.url);
});
afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  r?.disconnect();
  await redis?.stop();
});

async function standIn(rateLimits: false | undefined): Promise<SlackStandIn> {
  const slack = await startSlackStandIn({
    ...(rateLimits === false ? { rateLimits } : {}),
    botToken: 'xoxb-test-meshops-bot',
    channels: [{ id: CHANNEL, name: 'mesh-ops' }],
  });
  stops.push(() => slack.close());
  return slack;
}

type Outcome = 'ok' | 'fails' | 'cancelled';

/**
 * The bot (web and worker in one process) with a status that runs until released and then ends as asked (a
 * cancelled one finds its cancel at its next safe point), counting its runs.
 */
async function heldBot(
  slack: SlackStandIn,
  prefix: string,
  outcome: Outcome = 'ok',
): Promise<{ bot: TestBot; release: () => void; runs: () => number }> {
  let release: () => void = () => undefined;
  const released = new Promise<void>((res) => {
    release = res;
  });
  let runs = 0;
  const bot = await startTestBot({
    redisUrl: redis.url,
    slackApiUrl: slack.apiUrl,
    role: 'all',
    prefix,
    overrides: {
      handlers: {
        status: async (ctx) => {
          runs++;
          await released;
          if (outcome === 'cancelled') {
            await requestCancel(r, prefix, String(ctx.job.id), ADMIN);
            await ctx.checkpoint();
          }
          if (outcome === 'fails') throw new PermanentError('AWS refused DescribeVpcs: all 12 checks unread');
          return { ok: true, summary: 'Mesh demo is healthy: all 12 checks ok.', verdict: 'ok' };
        },
      },
    },
  });
  stops.push(async () => {
    release();
    await bot.meshops.stop();
  });
  return { bot, release, runs: () => runs };
}

const ask = (slack: SlackStandIn, bot: TestBot, userId: string) =>
  slack.slashCommand({
    text: 'status',
    userId,
    channelId: CHANNEL,
    to: { http: { url: bot.eventsUrl, signingSecret: SIGNING_SECRET } },
  });

/** Each asker's one anchor with the answer, and the reply in its thread that mentions them. */
async function expectAnswered(
  slack: SlackStandIn,
  askers: string[],
  timeout: number,
  answer = /all 12 checks ok/,
): Promise<void> {
  await expect
    .poll(
      () =>
        askers.filter((u) => {
          const anchors = slack
            .messages(CHANNEL)
            .filter((m) => !m.threadTs && m.text.includes(`asked by <@${u}>`) && answer.test(m.text));
          return (
            anchors.length === 1 && slack.thread(CHANNEL, anchors[0]!.ts).some((m) => m.text.startsWith(`<@${u}>`))
          );
        }),
      { timeout, interval: 200 },
    )
    .toEqual(askers);
  // One anchor per asker: none posted twice (a "joined" one and another with the answer).
  for (const u of askers)
    expect(slack.messages(CHANNEL).filter((m) => !m.threadTs && m.text.includes(`asked by <@${u}>`))).toHaveLength(1);
}

it('a burst of joins, answered: no joiner anchor claim is left in Redis, and the job keeps its own only briefly', async () => {
  const slack = await standIn(false);
  const { bot, release } = await heldBot(slack, 'burst');
  await ask(slack, bot, ADMIN);
  await slack.waitFor((m) => !m.threadTs && m.text.includes(`asked by <@${ADMIN}>`), 10_000);
  const askers = Array.from({ length: 30 }, (_, i) => `U0BURST${String(i).padStart(3, '0')}`);
  await Promise.all(askers.map((u) => ask(slack, bot, u)));
  // Some joined anchors are posted while the status runs, the rest come with the answer.
  await expect
    .poll(() => r.keys('burst:joined:anchor:*').then((k) => k.length), { timeout: 10_000 })
    .toBeGreaterThan(0);
  release();
  await expectAnswered(slack, [ADMIN, ...askers], 30_000);
  await expect.poll(() => r.keys('burst:joined:anchor:*'), { timeout: 10_000 }).toEqual([]);
  const own = await r.keys('burst:anchor:*');
  expect(own).toHaveLength(1);
  await expect.poll(() => r.ttl(own[0]!), { timeout: 10_000 }).toBeLessThanOrEqual(ANCHOR_GRACE_SECONDS);
}, 60_000);

it("under Slack's own limits (a post a second per channel after a short burst): no message lost or posted twice", async () => {
  const slack = await standIn(undefined);
  const { bot, release } = await heldBot(slack, 'limits');
  await ask(slack, bot, ADMIN);
  await slack.waitFor((m) => !m.threadTs && m.text.includes(`asked by <@${ADMIN}>`), 10_000);
  const askers = Array.from({ length: 10 }, (_, i) => `U0LIMIT${String(i).padStart(3, '0')}`);
  await Promise.all(askers.map((u) => ask(slack, bot, u)));
  // The joined anchors, four at once into one channel, meet Slack's limit while the status runs.
  await expect.poll(() => slack.stats()['chat.postMessage']?.rateLimited ?? 0, { timeout: 10_000 }).toBeGreaterThan(0);
  release();
  await expectAnswered(slack, [ADMIN, ...askers], 90_000);
}, 120_000);

/**
 * A worker stopped once it has begun answering twelve joiners: those not answered yet are on the job's list in
 * Redis, and a next worker answers everyone still waiting, each on one anchor, with the answer the first reached:
 * without running the status again.
 */
async function stopWhileAnswering(
  prefix: string,
  outcome: Outcome,
  answer: RegExp,
  ends: { state: 'completed' | 'failed'; reason?: string },
): Promise<void> {
  const slack = await standIn(undefined);
  const first = await heldBot(slack, prefix, outcome);
  await ask(slack, first.bot, ADMIN);
  await slack.waitFor((m) => !m.threadTs && m.text.includes(`asked by <@${ADMIN}>`), 10_000);
  const askers = Array.from(
    { length: 12 },
    (_, i) => `U0${prefix.slice(0, 5).toUpperCase()}${String(i).padStart(3, '0')}`,
  );
  await Promise.all(askers.map((u) => ask(slack, first.bot, u)));
  first.release();
  // Slack takes a post a second in the channel: stop once the answering has begun, long before it ends.
  const answered = () =>
    askers.filter((u) =>
      slack.messages(CHANNEL).some((m) => !m.threadTs && m.text.includes(`asked by <@${u}>`) && answer.test(m.text)),
    ).length;
  await expect.poll(answered, { timeout: 30_000, interval: 100 }).toBeGreaterThan(0);
  await first.bot.meshops.stop();
  const left = await r.keys(`${prefix}:joiners:*`);
  expect(left).toHaveLength(1);
  expect(await r.llen(left[0]!)).toBeGreaterThan(0);
  expect(answered()).toBeLessThan(askers.length);
  const next = await heldBot(slack, prefix, outcome);
  next.release();
  await expectAnswered(slack, [ADMIN, ...askers], 90_000, answer);
  expect(next.runs()).toBe(0);
  // The job ends as the run that reached the answer would have ended it (what the App Home lists).
  const q = new Queue(queueNames(prefix, next.bot.config.spec.name).reads, {
    connection: { host: '127.0.0.1', port: redis.port },
  });
  try {
    const [job] = await q.getJobs(['completed', 'failed']);
    expect(await job!.getState()).toBe(ends.state);
    if (ends.reason) expect(job!.failedReason).toBe(ends.reason);
  } finally {
    await q.close();
  }
}

it('a worker told to stop while it answers a burst does not wait for them all: the rest go back with the job and its answer, and the next worker answers them without running the status again', async () => {
  await stopWhileAnswering('handback', 'ok', /all 12 checks ok/, { state: 'completed' });
}, 150_000);

it('the same for a status that failed: the rest go back with the job, and the next worker answers them', async () => {
  await stopWhileAnswering('failback', 'fails', /all 12 checks unread/, {
    state: 'failed',
    reason: 'AWS refused DescribeVpcs: all 12 checks unread',
  });
}, 150_000);

it('the same for a status that was cancelled: the next worker tells the rest it was cancelled, and runs nothing', async () => {
  await stopWhileAnswering('cancelback', 'cancelled', /cancelled by/, {
    state: 'failed',
    reason: `cancelled by <@${ADMIN}>`,
  });
}, 150_000);

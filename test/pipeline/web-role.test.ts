// The front door: Slack's signature, authorization and bad input, as Slack would send them; what was queued is
// read back from Redis.
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postSigned, sendSlashCommand, slashCommandFields } from '../../sandbox/slack/sender.ts';
import { type SlackStandIn, startSlackStandIn } from '../../sandbox/slack/web-api.ts';
import { queueNames } from '../../src/queue/queues.ts';
import { ADMIN, CHANNEL, OPERATOR, OTHER_CHANNEL, SIGNING_SECRET, startTestBot, type TestBot } from '../helpers/bot.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let slack: SlackStandIn;
let bot: TestBot;
let changes: Queue;
let reads: Queue;

beforeAll(async () => {
  redis = await startRedis();
  slack = await startSlackStandIn({
    rateLimits: false,
    botToken: 'xoxb-test-meshops-bot',
    channels: [
      { id: CHANNEL, name: 'mesh-ops' },
      { id: OTHER_CHANNEL, name: 'random' },
    ],
  });
  // Web role only: jobs stay queued, so the test sees exactly what a command queued.
  bot = await startTestBot({ redisUrl: redis.url, slackApiUrl: slack.apiUrl, role: 'web' });
  const names = queueNames(bot.prefix, bot.config.spec.name);
  changes = new Queue(names.changes, { connection: { url: redis.url } });
  reads = new Queue(names.reads, { connection: { url: redis.url } });
});

afterAll(async () => {
  await changes?.close();
  await reads?.close();
  await bot?.meshops.stop();
  await slack?.close();
  await redis?.stop();
});

async function queued(): Promise<number> {
  const [a, b] = await Promise.all([
    changes.getJobCounts('waiting', 'active', 'delayed', 'prioritized'),
    reads.getJobCounts('waiting', 'active', 'delayed', 'prioritized'),
  ]);
  return Object.values(a).reduce((s, n) => s + n, 0) + Object.values(b).reduce((s, n) => s + n, 0);
}

const send = (text: string, user = ADMIN, channel = CHANNEL, timestamp?: number, secret = SIGNING_SECRET) =>
  sendSlashCommand({
    url: bot.eventsUrl,
    signingSecret: secret,
    text,
    userId: user,
    channelId: channel,
    timestamp,
    responseUrl: slack.createResponseUrl({ channel, user }),
  });

function ackText(res: { json?: unknown }): string {
  return (res.json as { text?: string } | undefined)?.text ?? '';
}

/**
 * Waits until a good command sent after the one under test has been queued, then takes it off the queue again.
 * The command under test was answered first, so had it queued a job, that job would be there by now: a condition
 * to wait for, where a fixed sleep would be too short on a loaded machine.
 */
async function aLaterCommandIsQueued(before: number): Promise<void> {
  const res = await send('status', OPERATOR);
  expect(res.status).toBe(200);
  await expect.poll(queued, { timeout: 5000 }).toBeGreaterThanOrEqual(before + 1);
  const newest = (await reads.getWaiting()).sort((a, b) => b.timestamp - a.timestamp)[0]!;
  expect(newest.data).toMatchObject({ name: 'status', userId: OPERATOR });
  await newest.remove();
}

describe('signed requests', () => {
  it('a validly signed /mesh status is acked with 200 and queues exactly one job with an anchor message', async () => {
    const before = await queued();
    const res = await send('status');
    expect(res.status).toBe(200);
    await expect.poll(queued, { timeout: 5000 }).toBe(before + 1);
    const anchor = await slack.waitFor((m) => m.channel === CHANNEL && /\/mesh status/.test(m.text ?? ''), 5000);
    expect(anchor.text).toContain(`<@${ADMIN}>`);
    const [job] = await reads.getWaiting();
    expect(job!.data).toMatchObject({
      name: 'status',
      userId: ADMIN,
      channelId: CHANNEL,
      command: { kind: 'status', wait: false },
      anchorTs: anchor.ts,
    });
    expect(JSON.stringify(job!.data)).not.toMatch(/xox|secret|token/i);
  });

  it.each([
    ['a bad signature', () => send('status', ADMIN, CHANNEL, undefined, 'not-the-signing-secret')],
    [
      'a timestamp more than 5 minutes old',
      () => send('status', ADMIN, CHANNEL, Math.floor(Date.now() / 1000) - 6 * 60),
    ],
    [
      'missing signature headers',
      () =>
        fetch(bot.eventsUrl, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(
            slashCommandFields({ text: 'status', userId: ADMIN, channelId: CHANNEL }),
          ).toString(),
        }).then((r) => ({ status: r.status })),
    ],
    [
      'a body changed after signing',
      async () => {
        const body = new URLSearchParams(
          slashCommandFields({ text: 'status', userId: ADMIN, channelId: CHANNEL }),
        ).toString();
        const { signSlackRequest } = await import('../../sandbox/slack/sender.ts');
        const headers = signSlackRequest(SIGNING_SECRET, body);
        const res = await fetch(bot.eventsUrl, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
          body: body.replace('status', 'down'),
        });
        return { status: res.status };
      },
    ],
  ])('%s gets 401 and queues nothing', async (_name, request) => {
    const before = await queued();
    const res = await request();
    expect(res.status).toBe(401);
    await aLaterCommandIsQueued(before);
    expect(await queued()).toBe(before);
  });

  it('postSigned with the right secret but an unparseable body is not queued', async () => {
    const before = await queued();
    await postSigned(bot.eventsUrl, SIGNING_SECRET, 'garbage=1');
    await aLaterCommandIsQueued(before);
    expect(await queued()).toBe(before);
  });
});

describe('who may do what', () => {
  it.each([
    ['up', OPERATOR, CHANNEL, /only mesh admins/i],
    ['down', OPERATOR, CHANNEL, /only mesh admins/i],
    ['scale iad 2', OPERATOR, CHANNEL, /only mesh admins/i],
    ['cancel', OPERATOR, CHANNEL, /only mesh admins/i],
    ['status', OPERATOR, OTHER_CHANNEL, /channel/i],
    ['up', ADMIN, OTHER_CHANNEL, /channel/i],
  ])('/mesh %s by %s in %s is refused with the reason, and nothing is queued', async (text, user, channel, reason) => {
    const before = await queued();
    const res = await send(text, user, channel);
    expect(res.status).toBe(200);
    expect(ackText(res)).toMatch(reason);
    await aLaterCommandIsQueued(before);
    expect(await queued()).toBe(before);
  });

  it.each([
    ['status', OPERATOR],
    ['ping pdx iad-0', OPERATOR],
    ['scale iad 2', ADMIN],
  ])('/mesh %s by %s is queued', async (text, user) => {
    const before = await queued();
    const res = await send(text, user);
    expect(res.status).toBe(200);
    expect(ackText(res)).not.toMatch(/only mesh admins|not allowed/i);
    await expect.poll(queued, { timeout: 5000 }).toBe(before + 1);
  });
});

describe('bad input', () => {
  it.each([
    ['stauts', /status/],
    ['scale iad', /scale CLUSTER REPLICAS/],
    ['scale fra 2', /iad.*pdx|pdx.*iad/],
    ['scale iad two', /whole number/],
    ['ping pdx fra-0', /iad/],
    ['up now', /up/],
  ])('/mesh %s says what was wrong and the right form, and queues nothing', async (text, hint) => {
    const before = await queued();
    const res = await send(text);
    expect(res.status).toBe(200);
    expect(ackText(res)).toMatch(hint);
    await aLaterCommandIsQueued(before);
    expect(await queued()).toBe(before);
  });

  it('/mesh help answers at once with every command', async () => {
    const res = await send('help', OPERATOR);
    for (const word of ['up', 'status', 'scale', 'ping', 'down', 'cancel']) expect(ackText(res)).toContain(word);
  });
});

describe('health', () => {
  it('serves /healthz and /readyz (Redis reachable)', async () => {
    const base = bot.eventsUrl.replace('/slack/events', '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });
});

// A status asked while an identical one is still queued joins it too (a burst of asks makes one job, not one
// per ask), and cancelling a status that others joined tells them as well instead of leaving them waiting.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type SlackStandIn, startSlackStandIn } from '../../sandbox/slack/web-api.ts';
import type { JobHandler } from '../../src/queue/worker.ts';
import { ADMIN, CHANNEL, OPERATOR, SIGNING_SECRET, startTestBot, type TestBot } from '../helpers/bot.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let slack: SlackStandIn;
const bots: TestBot[] = [];
let runs = 0;
const status: JobHandler = async () => {
  runs += 1;
  return { ok: true, summary: 'Mesh demo is healthy: all 12 checks ok.', verdict: 'ok' };
};

beforeAll(async () => {
  redis = await startRedis();
  slack = await startSlackStandIn({
    rateLimits: false,
    botToken: 'xoxb-test-meshops-bot',
    channels: [{ id: CHANNEL, name: 'mesh-ops' }],
  });
});
afterAll(async () => {
  for (const b of bots) await b.meshops.stop();
  await slack?.close();
  await redis?.stop();
});

/** A web role with no worker yet: what it queues stays queued until a worker of the same prefix starts. */
async function webOnly(prefix: string): Promise<TestBot> {
  const bot = await startTestBot({ redisUrl: redis.url, slackApiUrl: slack.apiUrl, role: 'web', prefix });
  bots.push(bot);
  return bot;
}
async function worker(prefix: string): Promise<void> {
  const bot = await startTestBot({
    redisUrl: redis.url,
    slackApiUrl: slack.apiUrl,
    role: 'worker',
    prefix,
    overrides: { handlers: { status } },
  });
  bots.push(bot);
}
const ask = (bot: TestBot, userId: string, text = 'status') =>
  slack.slashCommand({
    text,
    userId,
    channelId: CHANNEL,
    to: { http: { url: bot.eventsUrl, signingSecret: SIGNING_SECRET } },
  });
const anchorOf = (userId: string, pattern: RegExp) =>
  slack.waitFor((m) => !m.threadTs && m.text.includes(`asked by <@${userId}>`) && pattern.test(m.text), 15_000);

it('asks while a status is queued join it: one job runs, every asker is answered on their own anchor', async () => {
  const web = await webOnly('queued-join');
  const askers = [ADMIN, 'U0ASKER11', 'U0ASKER12', OPERATOR];
  for (const u of askers) await ask(web, u);
  await expect
    .poll(() => slack.messages(CHANNEL).filter((m) => / · joined$/.test(m.text)).length, {
      timeout: 10_000,
    })
    .toBe(3);
  await worker('queued-join');
  for (const u of askers) {
    const anchor = await anchorOf(u, /all 12 checks ok/);
    await slack.waitFor((m) => m.threadTs === anchor.ts && m.text.startsWith(`<@${u}>`), 10_000);
  }
  expect(runs).toBe(1);
});

it('cancelling a queued status that others joined tells them too, and runs nothing', async () => {
  const before = runs;
  const web = await webOnly('queued-cancel');
  await ask(web, ADMIN);
  await ask(web, 'U0ASKER21');
  const joined = await anchorOf('U0ASKER21', /joined/);
  const number = /job (\d+)/.exec(joined.text)![1];
  await ask(web, ADMIN, `cancel ${number}`);
  await worker('queued-cancel');
  await anchorOf(ADMIN, /cancelled by <@U0ADMIN01>/);
  const theirs = await anchorOf('U0ASKER21', /The status you joined was cancelled by <@U0ADMIN01>/);
  await slack.waitFor((m) => m.threadTs === theirs.ts && m.text.startsWith('<@U0ASKER21>'), 10_000);
  expect(runs).toBe(before);
});

it('a burst of asks at the same moment makes one job: none of them finds "none open" and queues its own', async () => {
  const before = runs;
  const web = await webOnly('burst');
  const askers = Array.from({ length: 20 }, (_, i) => `U0BURST${String(i).padStart(2, '0')}`);
  await Promise.all(askers.map((u) => ask(web, u)));
  await expect
    .poll(() => slack.messages(CHANNEL).filter((m) => /U0BURST/.test(m.text) && / · joined$/.test(m.text)).length, {
      timeout: 15_000,
    })
    .toBe(19);
  await worker('burst');
  for (const u of askers) await anchorOf(u, /all 12 checks ok/);
  expect(runs).toBe(before + 1);
});

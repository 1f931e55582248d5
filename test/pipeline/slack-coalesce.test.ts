// Read-only jobs coalesce: a status asked while one runs joins it; one job runs, every asker is answered on their
// own anchor and told in their own thread.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type SlackStandIn, startSlackStandIn } from '../../sandbox/slack/web-api.ts';
import { ADMIN, CHANNEL, OPERATOR, SIGNING_SECRET, startTestBot, type TestBot } from '../helpers/bot.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let slack: SlackStandIn;
let bot: TestBot;
let runs = 0;
let release: () => void = () => undefined;
const released = new Promise<void>((r) => {
  release = r;
});

beforeAll(async () => {
  redis = await startRedis();
  slack = await startSlackStandIn({
    rateLimits: false,
    botToken: 'xoxb-test-meshops-bot',
    channels: [{ id: CHANNEL, name: 'mesh-ops' }],
  });
  bot = await startTestBot({
    redisUrl: redis.url,
    slackApiUrl: slack.apiUrl,
    role: 'all',
    overrides: {
      handlers: {
        status: async () => {
          runs += 1;
          await released;
          return { ok: true, summary: 'Mesh demo is healthy: all 12 checks ok.', verdict: 'ok' };
        },
      },
    },
  });
});
afterAll(async () => {
  release();
  await bot?.meshops.stop();
  await slack?.close();
  await redis?.stop();
});

const ask = (userId: string) =>
  slack.slashCommand({
    text: 'status',
    userId,
    channelId: CHANNEL,
    to: { http: { url: bot.eventsUrl, signingSecret: SIGNING_SECRET } },
  });

it('a status asked while one runs joins it: one job, every asker answered on their own anchor and told', async () => {
  await ask(ADMIN);
  await expect.poll(() => runs, { timeout: 10_000 }).toBe(1);
  const others = ['U0ASKER01', 'U0ASKER02', OPERATOR];
  for (const u of others) await ask(u);
  await expect
    .poll(() => slack.messages(CHANNEL).filter((m) => /joined/.test(m.text)).length, { timeout: 10_000 })
    .toBe(3);
  release();
  for (const u of [ADMIN, ...others]) {
    const anchor = await slack.waitFor(
      (m) => !m.threadTs && m.text.includes(`asked by <@${u}>`) && /all 12 checks ok/.test(m.text),
      10_000,
    );
    expect(anchor.text.startsWith(':white_check_mark:')).toBe(true);
    await slack.waitFor((m) => m.threadTs === anchor.ts && m.text.startsWith(`<@${u}>`), 10_000);
    expect(slack.notifications(CHANNEL).some((n) => n.threadTs === anchor.ts && n.to === u)).toBe(true);
  }
  expect(runs).toBe(1);
});

it('once it has ended, the next status is a job of its own', async () => {
  const before = runs;
  await ask(ADMIN);
  await expect.poll(() => runs, { timeout: 10_000 }).toBe(before + 1);
});

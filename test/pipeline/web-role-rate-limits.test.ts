// Slack's limit on one channel holds that channel's messages only: the web role's anchor for a command in another
// channel goes out at once, where the SDK's own handling of a 429 pauses every call of its client.
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendSlashCommand } from '../../sandbox/slack/sender.ts';
import { type SlackStandIn, startSlackStandIn } from '../../sandbox/slack/web-api.ts';
import {
  ADMIN,
  BOT_TOKEN,
  CHANNEL,
  OTHER_CHANNEL,
  SIGNING_SECRET,
  startTestBot,
  type TestBot,
} from '../helpers/bot.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let slack: SlackStandIn;
let bot: TestBot;

beforeAll(async () => {
  redis = await startRedis();
  // One message per channel, then one per 30 s: a refused post is told to come back in 30 s.
  slack = await startSlackStandIn({
    botToken: BOT_TOKEN,
    rateLimits: { 'chat.postMessage': { burst: 1, perSecond: 1 / 30, scope: 'channel' } },
    channels: [
      { id: CHANNEL, name: 'mesh-ops' },
      { id: OTHER_CHANNEL, name: 'mesh-ops-2' },
    ],
  });
  bot = await startTestBot({
    redisUrl: redis.url,
    slackApiUrl: slack.apiUrl,
    role: 'web',
    extraEnv: { MESH_CHANNELS: `${CHANNEL},${OTHER_CHANNEL}` },
  });
});
afterAll(async () => {
  await bot?.meshops.stop();
  await slack?.close();
  await redis?.stop();
});

const send = (text: string, channel: string) =>
  sendSlashCommand({
    url: bot.eventsUrl,
    signingSecret: SIGNING_SECRET,
    text,
    userId: ADMIN,
    channelId: channel,
    responseUrl: slack.createResponseUrl({ channel, user: ADMIN }),
  });

const botMessages = (channel: string) => slack.messages(channel).filter((m) => m.user === 'U0MESHBOT' || m.botId);

describe("a channel at Slack's limit", () => {
  it("holds that channel's anchor only: a command in another channel gets its anchor at once", async () => {
    // Someone's message uses up the first channel's allowance.
    await new WebClient(BOT_TOKEN, { slackApiUrl: slack.apiUrl }).chat.postMessage({ channel: CHANNEL, text: 'hi' });
    expect((await send('status', CHANNEL)).status).toBe(200);
    await expect.poll(() => slack.stats()['chat.postMessage']?.rateLimited ?? 0, { timeout: 5000 }).toBe(1);
    expect((await send('ping iad pdx-0', OTHER_CHANNEL)).status).toBe(200);
    await expect.poll(() => botMessages(OTHER_CHANNEL).length, { timeout: 5000 }).toBe(1);
    expect(botMessages(OTHER_CHANNEL)[0]!.text).toMatch(/\/mesh ping iad pdx-0/);
    // The first channel's anchor is still waiting out its Retry-After, not lost.
    expect(botMessages(CHANNEL).filter((m) => /\/mesh status/.test(m.text))).toHaveLength(0);
  }, 30_000);
});

// While Redis is down the web role says so: /readyz answers 503 (so a load balancer stops sending it traffic),
// /healthz still answers 200 (the process is alive), and a command is acked and then answered "could not queue",
// with nothing started.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SlackStandIn, startSlackStandIn } from '../../sandbox/slack/web-api.ts';
import { ADMIN, CHANNEL, SIGNING_SECRET, startTestBot, type TestBot } from '../helpers/bot.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let slack: SlackStandIn;
let bot: TestBot;

beforeAll(async () => {
  redis = await startRedis();
  slack = await startSlackStandIn({
    rateLimits: false,
    botToken: 'xoxb-test-meshops-bot',
    channels: [{ id: CHANNEL, name: 'mesh-ops' }],
  });
  bot = await startTestBot({ redisUrl: redis.url, slackApiUrl: slack.apiUrl, role: 'web' });
});

afterAll(async () => {
  await bot?.meshops.stop();
  await slack?.close();
  await redis?.stop();
});

const get = (path: string) =>
  fetch(`http://127.0.0.1:${bot.config.port}${path}`, { signal: AbortSignal.timeout(10_000) });

describe('Redis down', () => {
  it('/readyz is 200 while Redis answers', async () => {
    const res = await get('/readyz');
    expect([res.status, await res.text()]).toEqual([200, 'ready']);
  });

  it('/readyz answers 503 and a command gets "could not queue", while /healthz stays 200', async () => {
    await redis.stop();
    const ready = await get('/readyz');
    expect(ready.status).toBe(503);
    expect(await ready.text()).toMatch(/^redis unreachable/);
    expect((await get('/healthz')).status).toBe(200);

    const res = await slack.slashCommand({
      text: 'status',
      userId: ADMIN,
      channelId: CHANNEL,
      to: { http: { url: bot.eventsUrl, signingSecret: SIGNING_SECRET } },
    });
    expect(res.status).toBe(200);
    await expect
      .poll(() => slack.ephemeral(CHANNEL, ADMIN).map((m) => m.text ?? ''), { timeout: 20_000 })
      .toContainEqual(
        expect.stringMatching(
          /^:x: Could not queue `\/mesh status`: .+\. Nothing was started; try again when Redis is reachable\.$/,
        ),
      );
  }, 60_000);
});

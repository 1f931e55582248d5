// Socket Mode: with SLACK_APP_TOKEN set the bot needs no public URL; commands arrive over the WebSocket and are
// queued exactly as in HTTP mode. The health routes still answer on PORT.
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeJob } from '../../commands/describe-job.ts';
import { type SlackStandIn, startSlackStandIn } from '../../sandbox/slack/web-api.ts';
import { queueNames } from '../../src/queue/queues.ts';
import { ADMIN, CHANNEL, startTestBot, type TestBot } from '../helpers/bot.ts';
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
  bot = await startTestBot({
    redisUrl: redis.url,
    slackApiUrl: slack.apiUrl,
    role: 'web',
    extraEnv: { SLACK_APP_TOKEN: slack.appToken },
  });
  await slack.socket.waitForConnection(15_000);
});

afterAll(async () => {
  await bot?.meshops.stop();
  await slack?.close();
  await redis?.stop();
});

/** Every job either queue of the mesh holds, in any state, as the command it carries (oldest first). */
async function queuedCommands(): Promise<string[]> {
  const names = queueNames(bot.prefix, bot.config.spec.name);
  const all: Array<{ timestamp: number; text: string }> = [];
  for (const name of [names.changes, names.reads]) {
    const q = new Queue(name, { connection: { host: '127.0.0.1', port: redis.port } });
    try {
      for (const j of await q.getJobs()) if (j) all.push({ timestamp: j.timestamp, text: describeJob(j.data) });
    } finally {
      await q.close();
    }
  }
  return all.sort((a, b) => a.timestamp - b.timestamp).map((j) => j.text);
}

describe('Socket Mode', () => {
  it('a command delivered over the socket is acked and queued, with its anchor message', async () => {
    const res = await slack.slashCommand({ text: 'status', userId: ADMIN, channelId: CHANNEL, to: 'socket' });
    expect(res.acked).toBe(true);
    const q = new Queue(queueNames(bot.prefix, bot.config.spec.name).reads, {
      connection: { host: '127.0.0.1', port: redis.port },
    });
    try {
      await expect.poll(async () => (await q.getWaiting()).length, { timeout: 5000 }).toBe(1);
    } finally {
      await q.close();
    }
    await slack.waitFor((m) => /\/mesh status/.test(m.text) && m.channel === CHANNEL, 5000);
  });

  it('bad input is answered over the socket too, and nothing is queued', async () => {
    const before = await queuedCommands();
    const res = await slack.slashCommand({ text: 'scale iad lots', userId: ADMIN, channelId: CHANNEL, to: 'socket' });
    expect(res.acked).toBe(true);
    expect(JSON.stringify(res.ackBody)).toMatch(/whole number/);
    // A good command sent after it is queued; by then the bad one would have been too, had it been queued at all.
    await slack.slashCommand({ text: 'scale iad 2', userId: ADMIN, channelId: CHANNEL, to: 'socket' });
    await expect.poll(queuedCommands, { timeout: 5000 }).toHaveLength(before.length + 1);
    expect((await queuedCommands()).slice(before.length)).toEqual(['/mesh scale iad 2']);
  });

  it('serves /healthz on PORT', async () => {
    expect((await fetch(`http://127.0.0.1:${bot.config.port}/healthz`)).status).toBe(200);
  });
});

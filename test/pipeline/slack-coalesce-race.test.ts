// A status asked at the very moment the status it joins ends: the asker gets exactly one message, answered, and
// never a "joined job N" message that is posted and then withdrawn. The moment is made exact: the web role's post
// of the joined message is held (by a proxy in front of the Slack stand-in) until the worker has taken the list of
// joiners, which Redis's MONITOR shows.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SlackChange } from '../../sandbox/slack/state.ts';
import { type SlackStandIn, startSlackStandIn } from '../../sandbox/slack/web-api.ts';
import { ADMIN, CHANNEL, SIGNING_SECRET, startTestBot, type TestBot } from '../helpers/bot.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

const ASKER = 'U0ASKER31';
let redis: TestRedis;
let slack: SlackStandIn;
let proxy: Server;
let bot: TestBot;
let monitor: Redis | undefined;
let runs = 0;
let releaseJob: () => void = () => undefined;
const jobReleased = new Promise<void>((r) => {
  releaseJob = r;
});
/** Set while the proxy holds the web role's post of a joined message. */
let joinedPostHeld: (() => void) | undefined;
const changes: SlackChange[] = [];

const body = (req: IncomingMessage) =>
  new Promise<Buffer>((resolve) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts)));
  });

/** The stand-in's Web API behind a proxy that can hold the answer to the post of a "joined" message. */
async function startProxy(target: string, hold: () => Promise<void>): Promise<string> {
  proxy = createServer(async (req, res) => {
    const raw = await body(req);
    const text = new URLSearchParams(raw.toString('utf8')).get('text') ?? '';
    const answer = await fetch(new URL(req.url!.replace(/^\/api\//, ''), target), {
      method: req.method,
      headers: Object.fromEntries(
        Object.entries(req.headers).filter(([k]) => ['authorization', 'content-type'].includes(k)),
      ) as Record<string, string>,
      body: req.method === 'POST' ? new Uint8Array(raw) : undefined,
    });
    const payload = Buffer.from(await answer.arrayBuffer());
    // Posted in Slack already; only the web role's view of it waits.
    if (req.url?.endsWith('/chat.postMessage') && / · joined$/.test(text)) await hold();
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
    res.end(payload);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/api/`;
}

beforeAll(async () => {
  redis = await startRedis();
  slack = await startSlackStandIn({
    rateLimits: false,
    botToken: 'xoxb-test-meshops-bot',
    channels: [{ id: CHANNEL, name: 'mesh-ops' }],
  });
  slack.onChange((c) => changes.push(c));
  const apiUrl = await startProxy(slack.apiUrl, async () => {
    // The status ends now: the job finishes and its worker takes the list of who joined, then the post returns.
    let taken!: () => void;
    const listTaken = new Promise<void>((r) => {
      taken = r;
    });
    monitor = await new Redis(redis.url).monitor();
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[0]?.toLowerCase() === 'lrange' && args[1]?.includes(':joiners:')) taken();
    });
    joinedPostHeld?.();
    releaseJob();
    await listTaken;
  });
  bot = await startTestBot({
    redisUrl: redis.url,
    slackApiUrl: apiUrl,
    role: 'all',
    overrides: {
      handlers: {
        status: async () => {
          runs += 1;
          await jobReleased;
          return { ok: true, summary: 'Mesh demo is healthy: all 12 checks ok.', verdict: 'ok' };
        },
      },
    },
  });
});
afterAll(async () => {
  releaseJob();
  monitor?.disconnect();
  await bot?.meshops.stop();
  proxy?.close();
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

it('a status joined just as it ends: the asker gets one message, answered, and nothing posted then withdrawn', async () => {
  await ask(ADMIN);
  await expect.poll(() => runs, { timeout: 10_000 }).toBe(1);
  const held = new Promise<void>((r) => {
    joinedPostHeld = r;
  });
  await ask(ASKER);
  await held;
  const answered = await slack.waitFor(
    (m) => !m.threadTs && m.text.includes(`asked by <@${ASKER}>`) && /all 12 checks ok/.test(m.text),
    20_000,
  );
  await slack.waitFor((m) => m.threadTs === answered.ts && m.text.startsWith(`<@${ASKER}>`), 10_000);
  // What the asker saw: one message of theirs in the channel, never one that was taken back.
  const theirs = (c: SlackChange) => 'message' in c && c.message.text.includes(`asked by <@${ASKER}>`);
  expect(changes.filter((c) => c.kind === 'delete' && theirs(c))).toEqual([]);
  expect(slack.messages(CHANNEL).filter((m) => m.text.includes(`asked by <@${ASKER}>`))).toHaveLength(1);
  expect(slack.thread(CHANNEL, answered.ts).filter((m) => m.text.startsWith(`<@${ASKER}>`))).toHaveLength(1);
  // The status it joined answered it: no second job ran.
  expect(runs).toBe(1);
}, 60_000);

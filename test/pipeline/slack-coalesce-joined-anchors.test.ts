// The "joined" anchors of asks that joined a status are posted after the ack, apart from it
// (src/queue/joined-anchors.ts). Whatever happens to that post, every asker is answered once, on one anchor of
// their own, in their own thread: Slack refusing the post, or the job ending before anyone posted it.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type SlackStandIn, startSlackStandIn } from '../../sandbox/slack/web-api.ts';
import type { JobHandler } from '../../src/queue/worker.ts';
import { ADMIN, CHANNEL, SIGNING_SECRET, startTestBot, type TestBot } from '../helpers/bot.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let slack: SlackStandIn;
const bots: TestBot[] = [];
let runs = 0;
const healthy: JobHandler = async () => {
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

async function bot(...args: Parameters<typeof startTestBot>): Promise<TestBot> {
  const b = await startTestBot(...args);
  bots.push(b);
  return b;
}
const ask = (to: TestBot, userId: string) =>
  slack.slashCommand({
    text: 'status',
    userId,
    channelId: CHANNEL,
    to: { http: { url: to.eventsUrl, signingSecret: SIGNING_SECRET } },
  });
/** What the asker sees in the channel: messages not in a thread that name them as the asker. */
const anchorsOf = (userId: string) =>
  slack.messages(CHANNEL).filter((m) => !m.threadTs && m.text.includes(`<@${userId}>`));

it('a joined anchor Slack refused to post: the answer still comes, on an anchor posted with it, in its thread', async () => {
  let release: () => void = () => undefined;
  const released = new Promise<void>((r) => {
    release = r;
  });
  const web = await bot({
    redisUrl: redis.url,
    slackApiUrl: slack.apiUrl,
    role: 'all',
    prefix: 'refused',
    overrides: {
      handlers: {
        status: async (ctx) => {
          await released;
          return healthy(ctx);
        },
      },
    },
  });
  await ask(web, ADMIN);
  await slack.waitFor((m) => !m.threadTs && m.text.includes(`asked by <@${ADMIN}>`), 10_000);
  // Every try of the joiner's post (the client tries three times) answers 503.
  slack.faults.fail('chat.postMessage', { times: 3 });
  const asker = 'U0REFUSED1';
  await ask(web, asker);
  await expect.poll(() => slack.stats()['chat.postMessage']?.errors, { timeout: 10_000 }).toBe(3);
  release();
  const anchor = await slack.waitFor(
    (m) => !m.threadTs && m.text.includes(`asked by <@${asker}>`) && /all 12 checks ok/.test(m.text),
    15_000,
  );
  await slack.waitFor((m) => m.threadTs === anchor.ts && m.text.startsWith(`<@${asker}>`), 10_000);
  expect(anchorsOf(asker)).toHaveLength(1);
});

it('a job that ends before the joined anchors are posted posts them with its answer, and none is posted twice', async () => {
  const before = runs;
  // Nobody posts joined anchors yet: the asks join, and wait in the list of pending joiners.
  const web = await bot({
    redisUrl: redis.url,
    slackApiUrl: slack.apiUrl,
    role: 'web',
    prefix: 'late',
    overrides: { joinedAnchors: false },
  });
  const askers = ['U0LATE0000', 'U0LATE0001', 'U0LATE0002', 'U0LATE0003'];
  for (const u of askers) await ask(web, u);
  await bot({
    redisUrl: redis.url,
    slackApiUrl: slack.apiUrl,
    role: 'worker',
    prefix: 'late',
    overrides: { handlers: { status: healthy }, joinedAnchors: false },
  });
  for (const u of askers) {
    const anchor = await slack.waitFor(
      (m) => !m.threadTs && m.text.includes(`asked by <@${u}>`) && /all 12 checks ok/.test(m.text),
      15_000,
    );
    await slack.waitFor((m) => m.threadTs === anchor.ts && m.text.startsWith(`<@${u}>`), 10_000);
  }
  expect(runs).toBe(before + 1);
  // A poster that comes late finds them answered and posts nothing.
  await bot({ redisUrl: redis.url, slackApiUrl: slack.apiUrl, role: 'web', prefix: 'late' });
  const r = new Redis(redis.url);
  await expect.poll(() => r.llen('late:joined:pending'), { timeout: 10_000 }).toBe(0);
  r.disconnect();
  for (const u of askers) expect(anchorsOf(u).map((m) => m.text)).toEqual([expect.stringMatching(/all 12 checks ok/)]);
  // The joiners' anchors (all but the first asker's, the job's own): posted with the answer, and not edited to
  // what they already say (chat.update's limit is the app's).
  for (const u of askers.slice(1)) expect(anchorsOf(u)[0]!.edits).toBe(0);
  expect(slack.messages(CHANNEL).filter((m) => / · joined$/.test(m.text) && m.text.includes('LATE'))).toEqual([]);
});

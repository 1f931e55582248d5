// Changes to a mesh run one at a time across workers, and the one that waits is told what it waits for;
// read-only jobs run side by side. Cancel removes a queued job, or stops a running one at a safe point.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SlackStandIn, startSlackStandIn } from '../../sandbox/slack/web-api.ts';
import type { JobHandler } from '../../src/queue/worker.ts';
import { ADMIN, ADMIN2, CHANNEL, OPERATOR, SIGNING_SECRET, startTestBot, type TestBot } from '../helpers/bot.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let slack: SlackStandIn;
const bots: TestBot[] = [];
let marks: Redis;
const prefix = `ser-${process.pid}`;

/** A job that records when it runs and holds until the test releases it (polled at its safe points). */
const holding =
  (name: string): JobHandler =>
  async (ctx) => {
    const id =
      ctx.data.command.kind === 'scale'
        ? `${name}:${ctx.data.command.cluster}:${ctx.data.command.replicas}`
        : `${name}:${ctx.job.id}`;
    await marks.rpush(`${prefix}:events`, `start ${id}`);
    while (!(await marks.get(`${prefix}:release:${id}`))) {
      await ctx.checkpoint();
      await new Promise((r) => setTimeout(r, 50));
    }
    await marks.rpush(`${prefix}:events`, `end ${id}`);
    return { ok: true, summary: `${id} finished` };
  };

beforeAll(async () => {
  redis = await startRedis();
  marks = new Redis(redis.url);
  slack = await startSlackStandIn({
    rateLimits: false,
    botToken: 'xoxb-test-meshops-bot',
    channels: [{ id: CHANNEL, name: 'mesh-ops' }],
  });
  // Two processes' worth of workers on one Redis: the one-at-a-time rule must hold across them.
  for (let i = 0; i < 2; i++) {
    bots.push(
      await startTestBot({
        redisUrl: redis.url,
        slackApiUrl: slack.apiUrl,
        role: 'all',
        prefix,
        // Two admins, so that the job a change waits for is told apart from the one who asks.
        extraEnv: { MESH_ADMINS: `${ADMIN},${ADMIN2}` },
        overrides: { handlers: { scale: holding('scale'), status: holding('status'), ping: holding('ping') } },
      }),
    );
  }
});

afterAll(async () => {
  for (const b of bots) await b.meshops.stop();
  await marks?.quit();
  await slack?.close();
  await redis?.stop();
});

const run = (text: string, user = ADMIN) =>
  slack.slashCommand({
    text,
    userId: user,
    channelId: CHANNEL,
    to: { http: { url: bots[0]!.eventsUrl, signingSecret: SIGNING_SECRET } },
  });
const ephemeralTexts = () => slack.ephemeral(CHANNEL, ADMIN).map((m) => m.text ?? '');
const events = () => marks.lrange(`${prefix}:events`, 0, -1);
const release = (id: string) => marks.set(`${prefix}:release:${id}`, '1');
/** What a person reads in a message: its text and its sections. */
const shown = (m: { text?: string; blocks?: unknown[] }) =>
  [m.text ?? '', ...((m.blocks ?? []) as Array<{ text?: { text?: string } }>).map((b) => b.text?.text ?? '')].join(
    '\n',
  );

/**
 * Runs a read-only job (a ping, on the other queue) to its start and releases it. Jobs queued before it have had
 * their chance by then: every worker of both processes was woken by them first. A condition to wait for, where a
 * fixed sleep would be too short on a loaded machine.
 */
async function aReadRunsMeanwhile(): Promise<void> {
  const before = (await events()).filter((e) => e.startsWith('start ping:')).length;
  await run('ping iad all', OPERATOR);
  await expect
    .poll(async () => (await events()).filter((e) => e.startsWith('start ping:')), { timeout: 10_000 })
    .toHaveLength(before + 1);
  const id = (await events())
    .filter((e) => e.startsWith('start ping:'))
    .at(-1)!
    .slice('start '.length);
  await release(id);
  await expect.poll(events, { timeout: 10_000 }).toContain(`end ${id}`);
}

describe('one change at a time per mesh', () => {
  it('two scales at once: one runs, the other waits and is told which job it waits for and who started it', async () => {
    await run('scale iad 2');
    await expect.poll(events, { timeout: 10_000 }).toContain('start scale:iad:2');
    await run('scale pdx 3', ADMIN2);
    const waiting = await slack.waitFor(
      (m) =>
        /scale pdx 3/.test(m.text ?? '') &&
        /waiting for job \d+ \(`\/mesh scale iad 2`, started by <@U0ADMIN01>\)/.test(m.text ?? ''),
      10_000,
    );
    expect(waiting.text).toMatch(/position 1/);
    // The asker is named apart from the one who started the job it waits for.
    expect(shown(waiting)).toMatch(/asked by <@U0ADMIN02>/);
    expect(shown(waiting)).not.toMatch(/asked by <@U0ADMIN01>/);
    // Were the rule broken, a worker of either process would have taken it by the time a later read has run.
    await aReadRunsMeanwhile();
    expect(await events()).not.toContain('start scale:pdx:3');
    await marks.set(`${prefix}:release:scale:iad:2`, '1');
    await expect.poll(events, { timeout: 10_000 }).toContain('start scale:pdx:3');
    const order = await events();
    expect(order.indexOf('end scale:iad:2')).toBeLessThan(order.indexOf('start scale:pdx:3'));
    await marks.set(`${prefix}:release:scale:pdx:3`, '1');
    await expect.poll(events, { timeout: 10_000 }).toContain('end scale:pdx:3');
  }, 60_000);

  it('read-only jobs run side by side', async () => {
    // Two different reads: an identical status asked while one runs joins it (see slack-coalesce.test.ts).
    await run('status', OPERATOR);
    await run('status --wait', OPERATOR);
    await expect
      .poll(async () => (await events()).filter((e) => e.startsWith('start status')).length, { timeout: 10_000 })
      .toBe(2);
    const started = (await events()).filter((e) => e.startsWith('start status')).map((e) => e.slice('start '.length));
    expect((await events()).filter((e) => e.startsWith('end status'))).toEqual([]);
    for (const id of started) await marks.set(`${prefix}:release:${id}`, '1');
    await expect
      .poll(async () => (await events()).filter((e) => e.startsWith('end status')).length, { timeout: 10_000 })
      .toBe(2);
  }, 60_000);
});

describe('cancel', () => {
  it('removes a queued job before it starts, and stops a running one at its next safe point', async () => {
    await run('scale iad 4');
    await expect.poll(events, { timeout: 10_000 }).toContain('start scale:iad:4');
    await run('scale pdx 4');
    const queuedAnchor = await slack.waitFor(
      (m) => /scale pdx 4/.test(m.text ?? '') && /Queued/.test(m.text ?? ''),
      10_000,
    );
    const jobNumber = /job (\d+)/.exec(queuedAnchor.text ?? '')![1]!;

    const removed = await run(`cancel ${jobNumber}`);
    expect(removed.status).toBe(200);
    await expect
      .poll(ephemeralTexts, { timeout: 5000 })
      .toContainEqual(expect.stringMatching(new RegExp(`Removed job ${jobNumber} `)));

    const stopped = await run('cancel');
    expect(stopped.status).toBe(200);
    await expect
      .poll(ephemeralTexts, { timeout: 5000 })
      .toContainEqual(expect.stringMatching(/will stop at its next safe point/));
    await slack.waitFor(
      (m) => /scale iad 4/.test(m.text ?? '') && /cancelled by <@U0ADMIN01>/.test(m.text ?? ''),
      10_000,
    );
    expect(await events()).not.toContain('start scale:pdx:4');
    expect(await events()).not.toContain('end scale:iad:4');
    // Released now, the cancelled job still does not finish: cancel stopped it, not the missing release. The next
    // change can start only once nothing else holds the mesh, and by its end a stray loop would have seen it.
    await release('scale:iad:4');
    await run('scale iad 5');
    await expect.poll(events, { timeout: 10_000 }).toContain('start scale:iad:5');
    await release('scale:iad:5');
    await expect.poll(events, { timeout: 10_000 }).toContain('end scale:iad:5');
    await aReadRunsMeanwhile();
    expect(await events()).not.toContain('end scale:iad:4');
    expect(await events()).not.toContain('start scale:pdx:4');
  }, 60_000);
});

describe('cancel when there is nothing to stop', () => {
  it('says so: nothing running or queued, no such job, or a job already finished', async () => {
    const finished = slack
      .messages(CHANNEL)
      .find((m) => /scale iad 5/.test(m.text ?? '') && /^:white_check_mark:/.test(m.text ?? ''));
    expect(finished, 'the job of the test before').toBeDefined();
    const number = /job (\d+)/.exec(finished!.text ?? '')![1]!;

    await run('cancel');
    await expect
      .poll(ephemeralTexts, { timeout: 5000 })
      .toContainEqual(expect.stringMatching(/^Nothing to cancel: no change to the mesh is running or queued\./));
    await run('cancel 999');
    await expect
      .poll(ephemeralTexts, { timeout: 5000 })
      .toContainEqual(expect.stringMatching(/^There is no job 999\./));
    await run(`cancel ${number}`);
    await expect
      .poll(ephemeralTexts, { timeout: 5000 })
      .toContainEqual(`Job ${number} is already completed: nothing to cancel.`);
  }, 60_000);
});

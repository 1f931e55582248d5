// Slack counts chat.update per app and workspace, not per process: two worker processes that each keep a budget
// of their own edit twice as often as the app may, and Slack refuses the rest. The shared budget keeps one bucket
// in Redis for every process. Each "process" here is what a worker process has: its own Redis connection, its own
// Slack clients, its own budget instance; only Redis and the Slack stand-in (its Tier 3 limits) are shared.
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { type Logger, pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMITS } from '../../sandbox/slack/rate-limits.ts';
import { type SlackStandIn, startSlackStandIn } from '../../sandbox/slack/web-api.ts';
import { systemClock } from '../../src/clock.ts';
import { makeSlackClients } from '../../src/slack/client.ts';
import { type EditBudget, makeEditBudget } from '../../src/slack/edit-budget.ts';
import { ProgressReporter } from '../../src/slack/reporter.ts';
import { makeSharedEditBudget } from '../../src/slack/shared-edit-budget.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

const TOKEN = 'xoxb-test-meshops-bot';
const CHANNELS = ['C0PROCESSA', 'C0PROCESSB'];
const TICK_MS = 50;
const RUN_MS = 3000;
let redis: TestRedis;
let slack: SlackStandIn;
const connections: Redis[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});
beforeEach(async () => {
  // Slack's own limits as the stand-in models them: chat.update Tier 3, 50 a minute with a burst of 10.
  slack = await startSlackStandIn({
    botToken: TOKEN,
    channels: CHANNELS.map((id) => ({ id, name: id.toLowerCase() })),
  });
});
afterEach(async () => {
  for (const c of connections.splice(0)) c.disconnect();
  await slack.close();
});

function capture(): { log: Logger; lines: () => Array<{ level: number; msg: string }> } {
  const chunks: string[] = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write: (c, _e, cb) => {
        chunks.push(String(c));
        cb();
      },
    }),
  );
  return { log, lines: () => chunks.map((c) => JSON.parse(c) as { level: number; msg: string }) };
}

const connect = (opts: { lazyConnect?: boolean } = {}) => {
  const c = new Redis(redis.url, { maxRetriesPerRequest: 1, ...opts });
  c.on('error', () => undefined);
  connections.push(c);
  return c;
};

/** One worker process: three jobs reporting progress in its channel through its own clients and budget. */
function processReporters(channel: string, budget: EditBudget, first: number): ProgressReporter[] {
  const clients = makeSlackClients(TOKEN, { apiUrl: slack.apiUrl, timeoutMs: 5000 }, pino({ level: 'silent' }));
  return [0, 1, 2].map(
    (i) =>
      new ProgressReporter({
        client: clients.calls,
        editClient: clients.edits,
        budget,
        channel,
        title: '/mesh status',
        jobId: String(first + i),
        userId: 'U0ADMIN01',
        clock: systemClock,
        log: pino({ level: 'silent' }),
      }),
  );
}

/** Every job notes a new state every 50 ms for 3 s, far more often than Slack allows edits. */
async function busy(reporters: ProgressReporter[]): Promise<{ anchors: string[]; last: number }> {
  const anchors = await Promise.all(reporters.map((r) => r.ensureAnchor()));
  let tick = 0;
  for (const started = Date.now(); Date.now() - started < RUN_MS; tick++) {
    for (const r of reporters) r.note(`tick ${tick}`);
    await new Promise((res) => setTimeout(res, TICK_MS));
  }
  return { anchors, last: tick - 1 };
}

const anchorText = (ts: string) =>
  CHANNELS.flatMap((c) => slack.messages(c)).find((m) => m.ts === ts && !m.threadTs)?.text ?? '';
const refused = () => slack.stats()['chat.update']?.rateLimited ?? 0;

describe('the edit budget of two worker processes', () => {
  it('each with a budget of its own: together they edit more often than Slack allows, and Slack refuses some', async () => {
    const reporters = [
      ...processReporters(CHANNELS[0]!, makeEditBudget(), 1),
      ...processReporters(CHANNELS[1]!, makeEditBudget(), 4),
    ];
    const started = Date.now();
    await busy(reporters);
    const calls = slack.stats()['chat.update']?.calls ?? 0;
    console.log(`own budgets: ${calls} chat.update in ${(Date.now() - started) / 1000} s, ${refused()} refused`);
    expect(refused()).toBeGreaterThan(0);
    await Promise.all(reporters.map((r) => r.flush()));
  }, 60_000);

  it('sharing the app budget in Redis: Slack refuses none of their edits, and each anchor ends on its newest state', async () => {
    const prefix = `shared-${Date.now()}`;
    const budgets = [0, 1].map(() =>
      makeSharedEditBudget({ redis: connect(), prefix, log: pino({ level: 'silent' }) }),
    );
    const reporters = [
      ...processReporters(CHANNELS[0]!, budgets[0]!, 1),
      ...processReporters(CHANNELS[1]!, budgets[1]!, 4),
    ];
    const started = Date.now();
    const { anchors, last } = await busy(reporters);
    // Progress edits skipped for the budget are not lost: the next one carries the newest state.
    for (const ts of anchors) await expect.poll(() => anchorText(ts), { timeout: 20_000 }).toContain(`tick ${last}`);
    const seconds = (Date.now() - started) / 1000;
    const edits = slack.stats()['chat.update']?.calls ?? 0;
    const tier = DEFAULT_RATE_LIMITS['chat.update']!;
    expect(edits).toBeLessThanOrEqual(tier.burst + Math.ceil(seconds * tier.perSecond));
    expect(edits).toBeGreaterThanOrEqual(anchors.length);
    console.log(`shared budget: ${edits} chat.update in ${seconds} s, ${refused()} refused`);
    expect(refused()).toBe(0);
    // The final states go at once (forced), whatever the budget says; each arrives.
    await Promise.all(reporters.map((r, i) => r.finish('succeeded', `job ${i + 1} finished`)));
    anchors.forEach((ts, i) => expect(anchorText(ts)).toContain(`job ${i + 1} finished`));
  }, 90_000);
});

describe('while Redis does not answer', () => {
  it("a process's edits use its own budget, the log says so, and says again when Redis is back", async () => {
    const { log, lines } = capture();
    const c = connect({ lazyConnect: true });
    const budget = makeSharedEditBudget({ redis: c, prefix: `down-${Date.now()}`, log, perMinute: 60, burst: 2 });
    // Not connected: the local budget answers at once, burst then pace, and the edits go on.
    expect(await budget.take(1000)).toBe(0);
    expect(await budget.take(1000)).toBe(0);
    expect(await budget.take(1000)).toBe(1000);
    const warned = lines().filter((l) => l.level === 40);
    expect(warned.map((l) => l.msg)).toEqual([
      "Redis does not answer: progress edits use this process's own budget until it is back",
    ]);
    await c.connect();
    expect(await budget.take(Date.now())).toBe(0);
    expect(lines().at(-1)?.msg).toBe('Redis answers again: progress edits share the app budget with every process');
  });

  it('a job reporting progress finishes, its edits paced by its own budget', async () => {
    const down = await startRedis();
    const { log, lines } = capture();
    const c = new Redis(down.url, { maxRetriesPerRequest: 1 });
    c.on('error', () => undefined);
    connections.push(c);
    await c.ping();
    await down.stop();
    const [r] = processReporters(CHANNELS[0]!, makeSharedEditBudget({ redis: c, prefix: 'down', log }), 1);
    const { anchors, last } = await busy([r!]);
    await expect.poll(() => anchorText(anchors[0]!), { timeout: 10_000 }).toContain(`tick ${last}`);
    await r!.finish('succeeded', 'job 1 finished');
    expect(anchorText(anchors[0]!)).toContain('job 1 finished');
    expect(refused()).toBe(0);
    expect(lines().some((l) => l.level === 40 && /own budget/.test(l.msg))).toBe(true);
  }, 30_000);
});

// Slack counts chat.update per app, whoever edits: the place-in-line edits of queued changes (the web role) and
// the expiry edits of confirmations (the timers) take from the app's edit budget in Redis, as progress edits do.
// Under a small budget they stay within it; an expiry, a final state, still goes out, and counts.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { type Logger, pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type SlackStandIn, startSlackStandIn } from '../../sandbox/slack/web-api.ts';
import { type EnqueueDeps, enqueueCommand } from '../../src/queue/enqueue.ts';
import { openQueues } from '../../src/queue/queues.ts';
import { startTimers } from '../../src/queue/timers.ts';
import { makeSlackClients } from '../../src/slack/client.ts';
import { makeSharedEditBudget } from '../../src/slack/shared-edit-budget.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

const TOKEN = 'xoxb-test-meshops-bot';
const CHANNEL = 'C0MESHOPS1';
const USER = 'U0ADMIN01';
let redis: TestRedis;
let slack: SlackStandIn;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  redis = await startRedis();
  // No Slack limits here: what is counted is how many edits the bot sends, against its own budget.
  slack = await startSlackStandIn({
    rateLimits: false,
    botToken: TOKEN,
    channels: [{ id: CHANNEL, name: 'mesh-ops' }],
  });
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await slack?.close();
  await redis?.stop();
});

function capture(): { log: Logger; said: (msg: string) => number } {
  const lines: string[] = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write: (c, _e, cb) => {
        lines.push(String(c));
        cb();
      },
    }),
  );
  return { log, said: (msg) => lines.filter((l) => (JSON.parse(l) as { msg: string }).msg === msg).length };
}

/** What the web role has for queueing, with an edit budget of two at once and one a minute after that. */
async function webRole(prefix: string, log: Logger) {
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  const queues = await openQueues(connection, prefix, 'demo');
  cleanups.push(async () => {
    await queues.close();
    connection.disconnect();
  });
  const slackClient = makeSlackClients(TOKEN, { apiUrl: slack.apiUrl, timeoutMs: 5000 }, log).calls;
  const editBudget = makeSharedEditBudget({ redis: connection, prefix, log, perMinute: 1, burst: 2 });
  const deps: EnqueueDeps = {
    queues,
    redis: connection,
    slack: slackClient,
    prefix,
    mesh: 'demo',
    log,
    describe: (d) => `/mesh ${d.name}`,
    editBudget,
  };
  return { deps, connection, slackClient, editBudget };
}

const updates = () => slack.stats()['chat.update']?.calls ?? 0;
/** Five changes queued while none runs: the first is next, the four behind it would each be told their place. */
async function queueFive(deps: EnqueueDeps): Promise<string[]> {
  const anchors: string[] = [];
  for (let i = 1; i <= 5; i++) {
    const q = await enqueueCommand(deps, {
      name: 'scale',
      command: { kind: 'scale', cluster: 'iad', replicas: i },
      userId: USER,
      channelId: CHANNEL,
    });
    anchors.push(q.anchorTs!);
  }
  return anchors;
}
const textOf = (ts: string) => slack.messages(CHANNEL).find((m) => m.ts === ts)?.text ?? '';

it('place-in-line edits take from the edit budget: two of four go out, the rest keep their "queued" anchor', async () => {
  const { log, said } = capture();
  const { deps } = await webRole(`pos-${randomUUID().slice(0, 8)}`, log);
  const before = updates();
  const anchors = await queueFive(deps);
  expect(updates() - before).toBe(2);
  // The other two waited for the budget, and gave up: it refills one a minute.
  await expect.poll(() => said('edit budget spent: the anchor says "Queued." without its place')).toBe(2);
  expect(updates() - before).toBe(2);
  expect(anchors.map(textOf)).toEqual([
    expect.stringMatching(/ · queued$/),
    expect.stringMatching(/Queued: position 2\./),
    expect.stringMatching(/Queued: position 3\./),
    expect.stringMatching(/ · queued$/),
    expect.stringMatching(/ · queued$/),
  ]);
});

it('expiry edits always go out, and count: after three, no place-in-line edit fits the budget', async () => {
  const { log, said } = capture();
  const prefix = `exp-${randomUUID().slice(0, 8)}`;
  const { deps, connection, slackClient, editBudget } = await webRole(prefix, log);
  const timers = startTimers({
    connection,
    redis: connection,
    prefix,
    mesh: 'demo',
    slack: slackClient,
    log,
    editBudget,
  });
  cleanups.push(() => timers.close());
  const before = updates();
  const confirmations: string[] = [];
  for (let i = 0; i < 3; i++) {
    const posted = await slackClient.chat.postMessage({ channel: CHANNEL, text: `Delete mesh demo? (${i})` });
    confirmations.push(posted.ts!);
    await timers.expireConfirmation({
      kind: 'down',
      nonce: randomUUID(),
      channel: CHANNEL,
      ts: posted.ts!,
      exp: Date.now(),
      outcome: 'This confirmation expired: nothing was deleted.',
      kept: [],
    });
  }
  // More than the budget holds, and every one arrives: an expired confirmation must say so.
  await expect
    .poll(() => confirmations.map(textOf), { timeout: 10_000 })
    .toEqual(confirmations.map(() => expect.stringMatching(/expired: nothing was deleted/)));
  expect(updates() - before).toBe(3);
  const anchors = await queueFive(deps);
  expect(updates() - before).toBe(3);
  await expect.poll(() => said('edit budget spent: the anchor says "Queued." without its place')).toBe(4);
  expect(updates() - before).toBe(3);
  expect(anchors.map(textOf)).toEqual(anchors.map(() => expect.stringMatching(/ · queued$/)));
});

// A worker that dies mid-job, or is asked to stop, hands its job to another worker, which continues where the
// first stopped: steps already done are not done again.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { type SlackStandIn, startSlackStandIn } from '../../sandbox/slack/web-api.ts';
import { queueNames } from '../../src/queue/queues.ts';
import { ADMIN, botEnv, CHANNEL, SIGNING_SECRET, startTestBot, type TestBot } from '../helpers/bot.ts';
import { freePort, startRedis, type TestRedis } from '../helpers/redis.ts';

/** The reporter's reply for steps that changed nothing (in place, already gone, checked). */
const UNCHANGED_REPLY = /already in place|already gone, nothing to delete|checked, nothing to change/;

const fixture = fileURLToPath(new URL('../fixtures/worker-process.ts', import.meta.url));

let redis: TestRedis;
let slack: SlackStandIn;
let web: TestBot;
let marks: Redis;
const children: ChildProcess[] = [];

beforeAll(async () => {
  redis = await startRedis();
  slack = await startSlackStandIn({
    rateLimits: false,
    botToken: 'xoxb-test-meshops-bot',
    channels: [{ id: CHANNEL, name: 'mesh-ops' }],
  });
  web = await startTestBot({ redisUrl: redis.url, slackApiUrl: slack.apiUrl, role: 'web' });
  marks = new Redis(redis.url);
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await marks?.quit();
  await web?.meshops.stop();
  await slack?.close();
  await redis?.stop();
});

async function startWorker(prefix: string, stepMs = 800): Promise<ChildProcess> {
  const env = {
    ...process.env,
    ...botEnv({ redisUrl: redis.url, slackApiUrl: slack.apiUrl, port: await freePort(), role: 'worker' }),
    TEST_PREFIX: prefix,
    // Steps long enough that a kill timed by what the channel shows lands inside a step, even on a busy machine.
    TEST_STEP_MS: String(stepMs),
  };
  const child = spawn(process.execPath, [fixture], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('worker did not start')), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      if (String(d).includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return child;
}

/** `/mesh <text>` typed in the channel by `userId`; Slack's delivery must be acknowledged. */
async function slash(text: string, userId = ADMIN): Promise<void> {
  const res = await slack.slashCommand({
    text,
    userId,
    channelId: CHANNEL,
    to: { http: { url: web.eventsUrl, signingSecret: SIGNING_SECRET } },
  });
  expect(res.status).toBe(200);
}

const sendUp = () => slash(`up --confirm ${web.config.spec.name}`);

/** The anchor of the latest `/mesh up` and, in its thread, the steps reported as new work (not "already in place"). */
function upThread() {
  const anchor = slack
    .messages(CHANNEL)
    .filter((m) => /\/mesh up/.test(m.text ?? ''))
    .at(-1)!;
  const doneReplies = slack
    .thread(CHANNEL, anchor.ts)
    .map((m) => m.text ?? '')
    .filter((t) => t.startsWith(':white_check_mark:') && !UNCHANGED_REPLY.test(t));
  return { anchor, newWork: doneReplies.map((t) => /\*(step \d)\*/.exec(t)?.[1]).sort() };
}

async function finishedJob(prefix: string) {
  const q = new Queue(queueNames(prefix, web.config.spec.name).changes, {
    connection: { host: '127.0.0.1', port: redis.port },
  });
  try {
    const jobs = await q.getJobs(['completed', 'failed']);
    return jobs[0] ? { state: await jobs[0].getState(), result: jobs[0].returnvalue } : undefined;
  } finally {
    await q.close();
  }
}

describe('a job outlives its worker', () => {
  it('a worker killed mid-job: another worker picks the job up and continues without redoing finished steps', async () => {
    const prefix = web.prefix;
    const first = await startWorker(prefix);
    await sendUp();
    await expect.poll(() => marks.llen(`${prefix}:runs`), { timeout: 20_000, interval: 50 }).toBeGreaterThanOrEqual(2);
    // Killed once the channel has seen step 1 done, well inside step 2 (800 ms): a kill between a step's end and
    // its reply would be reported by the next worker as "already done", and the last check would not hold.
    await expect.poll(() => upThread().newWork, { timeout: 20_000, interval: 20 }).toContain('step 1');
    first.kill('SIGKILL');
    const second = await startWorker(prefix);
    // A failure below must not leave this worker to take the next test's job.
    onTestFinished(() => {
      second.kill('SIGTERM');
    });
    await expect
      .poll(() => finishedJob(prefix), { timeout: 30_000, interval: 250 })
      .toMatchObject({ state: 'completed' });
    // Every step completed exactly once across both workers.
    expect((await marks.lrange(`${prefix}:runs`, 0, -1)).map(Number)).toEqual([0, 1, 2, 3, 4]);
    const started = await marks.lrange(`${prefix}:started`, 0, -1);
    expect(started.some((s) => s.startsWith(`${first.pid}:`))).toBe(true);
    expect(started.some((s) => s.startsWith(`${second.pid}:`))).toBe(true);
    // The thread says the job resumed.
    const anchor = slack.messages(CHANNEL).find((m) => /\/mesh up/.test(m.text ?? ''));
    expect(anchor).toBeDefined();
    expect(slack.thread(CHANNEL, anchor!.ts).some((m) => /Resuming/.test(m.text ?? ''))).toBe(true);
    // What the channel saw: each step reported as done once, by one worker or the other.
    expect(upThread().newWork).toEqual(['step 0', 'step 1', 'step 2', 'step 3', 'step 4']);
  }, 90_000);

  it('SIGTERM lets the running job reach a safe point and hands it back; another worker finishes it', async () => {
    const prefix = web.prefix;
    await marks.del(...[0, 1, 2, 3, 4].map((i) => `${prefix}:done:${i}`), `${prefix}:runs`, `${prefix}:started`);
    const first = await startWorker(prefix);
    const finishedBefore = (await finishedJobs(prefix)).length;
    await sendUp();
    await expect.poll(() => marks.llen(`${prefix}:runs`), { timeout: 20_000, interval: 50 }).toBeGreaterThanOrEqual(1);
    const exited = new Promise<number | null>((resolve) => first.once('exit', (code) => resolve(code)));
    const stoppedAt = Date.now();
    first.kill('SIGTERM');
    expect(await exited).toBe(0);
    // The product's shutdown path told the channel, before any other worker took the job.
    expect(upThread().anchor.text).toMatch(/Paused: the worker is restarting/);
    // It stopped at the next safe point (one step at most), not after the whole job.
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    const runsAtStop = Number(await marks.llen(`${prefix}:runs`));
    expect(runsAtStop).toBeLessThan(5);
    await startWorker(prefix);
    await expect
      .poll(async () => (await finishedJobs(prefix)).length, { timeout: 30_000, interval: 250 })
      .toBe(finishedBefore + 1);
    expect((await marks.lrange(`${prefix}:runs`, 0, -1)).map(Number)).toEqual([0, 1, 2, 3, 4]);
    const last = (await finishedJobs(prefix)).at(-1)!;
    expect(last.state).toBe('completed');
    // Handed back, not failed: the only attempt counted is the one that completed.
    expect(last.attemptsMade).toBe(1);
    expect(upThread().newWork).toEqual(['step 0', 'step 1', 'step 2', 'step 3', 'step 4']);
  }, 90_000);

  it("a job whose worker dies at every try is given up at BullMQ's stall limit, and its thread says so", async () => {
    const prefix = web.prefix;
    await stopLiveWorkers();
    await marks.del(...[0, 1, 2, 3, 4].map((i) => `${prefix}:done:${i}`), `${prefix}:runs`, `${prefix}:started`);
    const finishedBefore = (await finishedJobs(prefix)).length;
    await sendUp();
    // The workers' maxStalledCount is 5: the sixth worker killed mid-job makes the job fail at the next take.
    for (let kill = 1; kill <= 6; kill++) {
      const worker = await startWorker(prefix, 120_000);
      await expect.poll(() => marks.llen(`${prefix}:started`), { timeout: 30_000, interval: 50 }).toBe(kill);
      worker.kill('SIGKILL');
    }
    const { ts } = upThread().anchor;
    const anchorText = () => slack.messages(CHANNEL).find((m) => m.ts === ts)?.text ?? '';
    const last = await startWorker(prefix, 120_000);
    onTestFinished(() => {
      last.kill('SIGTERM');
    });
    await expect
      .poll(anchorText, { timeout: 30_000, interval: 100 })
      .toMatch(/Failed: its worker stopped 6 times before it could finish \(killed, or out of memory\)/);
    expect(anchorText()).toMatch(/run `\/mesh up` again: it continues where it stopped/);
    // The requester is told in the thread, as at every job's end: that reply follows the anchor's edit.
    await expect
      .poll(() => slack.thread(CHANNEL, ts).some((m) => /<@U0ADMIN01> :x:/.test(m.text ?? '')), {
        timeout: 10_000,
        interval: 100,
      })
      .toBe(true);
    const jobs = await finishedJobs(prefix);
    expect(jobs).toHaveLength(finishedBefore + 1);
    expect(jobs.at(-1)!.state).toBe('failed');
    // Failed by BullMQ at the take: the last worker never ran it.
    expect(await marks.llen(`${prefix}:started`)).toBe(6);
  }, 180_000);

  it('a status whose worker dies at every try: its requester and whoever joined it are both told it was given up', async () => {
    const prefix = web.prefix;
    await stopLiveWorkers();
    await marks.del(`${prefix}:status-started`);
    const statusAnchors = (userId: string) =>
      slack
        .messages(CHANNEL)
        .filter((m) => !m.threadTs && m.text.includes('/mesh status') && m.text.includes(`asked by <@${userId}>`));
    const anchorOf = (userId: string) => statusAnchors(userId).at(-1);
    await slash('status');
    for (let kill = 1; kill <= 6; kill++) {
      const worker = await startWorker(prefix, 120_000);
      await expect.poll(() => marks.llen(`${prefix}:status-started`), { timeout: 30_000, interval: 50 }).toBe(kill);
      // Asked while the first run reads: joins it rather than starting another.
      if (kill === 1) await slash('status', JOINER);
      worker.kill('SIGKILL');
    }
    const last = await startWorker(prefix, 120_000);
    onTestFinished(() => {
      last.kill('SIGTERM');
    });
    const givenUp = /Failed: its worker stopped 6 times before it could finish \(killed, or out of memory\)/;
    await expect.poll(() => anchorOf(ADMIN)?.text ?? '', { timeout: 30_000, interval: 100 }).toMatch(givenUp);
    await expect.poll(() => anchorOf(JOINER)?.text ?? '', { timeout: 15_000, interval: 100 }).toMatch(givenUp);
    // One anchor each, and the joiner is told in its thread as the requester is.
    for (const u of [ADMIN, JOINER]) expect(statusAnchors(u)).toHaveLength(1);
    await expect
      .poll(() => slack.thread(CHANNEL, anchorOf(JOINER)!.ts).some((m) => m.text.startsWith(`<@${JOINER}>`)), {
        timeout: 10_000,
        interval: 100,
      })
      .toBe(true);
    // Given up at the take: the status ran six times, never a seventh, and no second status was started.
    expect(await marks.llen(`${prefix}:status-started`)).toBe(6);
  }, 180_000);
});

const JOINER = 'U0JOINER1';

/** No worker of the tests before may take the next job. */
async function stopLiveWorkers(): Promise<void> {
  await Promise.all(
    children
      .filter((c) => c.exitCode === null && c.signalCode === null)
      .map((c) => new Promise((r) => c.once('exit', r).kill('SIGKILL'))),
  );
}

async function finishedJobs(prefix: string) {
  const q = new Queue(queueNames(prefix, web.config.spec.name).changes, {
    connection: { host: '127.0.0.1', port: redis.port },
  });
  try {
    const jobs = (await q.getJobs(['completed', 'failed'])).sort((a, b) => a.timestamp - b.timestamp);
    return Promise.all(jobs.map(async (j) => ({ id: j.id, state: await j.getState(), attemptsMade: j.attemptsMade })));
  } finally {
    await q.close();
  }
}

// Redis going away in the middle of `/mesh up`: restarted with its AOF, the bot reconnects, /readyz says 503
// while Redis is gone and 200 after, and the job finishes with nothing lost or done twice. Flushed instead,
// `/mesh up` run again continues from what exists in AWS and the clusters.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNEL, type Sandbox } from '../../sandbox/sandbox.ts';
import { queueNames } from '../../src/queue/queues.ts';
import { countMesh, expectedCounts, sandboxFor, seen, stepsOfNewWork } from '../e2e/helpers.ts';
import { freePort } from '../helpers/redis.ts';

let port: number;
let dir: string;
let redis: ChildProcess | undefined;
let sb: Sandbox;

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function startAofRedis(): Promise<void> {
  redis = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--save',
      '',
    ],
    { stdio: 'ignore' },
  );
  await until(
    'redis up',
    async () => {
      const probe = new Redis(`redis://127.0.0.1:${port}`, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } catch {
        return undefined;
      } finally {
        probe.disconnect();
      }
    },
    10_000,
  );
}

async function stopRedis(): Promise<void> {
  const r = redis;
  if (!r || r.exitCode !== null) return;
  const gone = new Promise((res) => r.once('exit', res));
  r.kill('SIGTERM'); // a restart: Redis fsyncs its AOF and exits
  await gone;
}

const readyz = async () => {
  try {
    return (await fetch(`${sb.botUrl}/readyz`, { signal: AbortSignal.timeout(5000) })).status;
  } catch {
    return 0;
  }
};
const planned = (anchorTs: string) =>
  Number(
    sb.slack
      .thread(CHANNEL, anchorTs)
      .map((m) => /The plan for mesh \*[^*]+\* \((\d+) steps\)/.exec(m.text)?.[1])
      .find(Boolean),
  );
const doneSteps = (anchorTs: string) =>
  sb.slack
    .thread(CHANNEL, anchorTs)
    .filter((m) => m.text.startsWith(':white_check_mark:'))
    .map((m) => /\*([^*]+)\*/.exec(m.text)?.[1]);

beforeAll(async () => {
  port = await freePort();
  dir = mkdtempSync(join(tmpdir(), 'meshops-aof-'));
  await startAofRedis();
  sb = await sandboxFor('redis-restart', { redisUrl: `redis://127.0.0.1:${port}` });
}, 180_000);
afterAll(async () => {
  await sb?.stop();
  await stopRedis();
  rmSync(dir, { recursive: true, force: true });
});

describe('Redis going away', () => {
  it('restarted with AOF mid-up: 503 while gone, 200 after, the job finishes, every step once', async () => {
    const anchor = (await sb.send(`up --confirm ${sb.spec.name}`))!;
    expect(anchor).toBeDefined();
    await until('five steps done', () => (doneSteps(anchor.ts).length >= 5 ? true : undefined));
    const before = doneSteps(anchor.ts).length;
    await stopRedis();
    const goneAt = Date.now();
    const unreadyAt = await until(
      'readyz 503',
      async () => ((await readyz()) === 503 ? Date.now() : undefined),
      20_000,
    );
    await new Promise((r) => setTimeout(r, 3000)); // Redis stays away a few seconds
    await startAofRedis();
    const restartedAt = Date.now();
    const readyAt = await until('readyz 200', async () => ((await readyz()) === 200 ? Date.now() : undefined), 30_000);
    const outcome = await sb.settle(anchor, 600_000);
    expect(outcome.ok, seen(outcome.anchor)).toBe(true);
    const steps = doneSteps(anchor.ts).length;
    const resumed = sb.slack.thread(CHANNEL, anchor.ts).filter((m) => m.text.includes('Resuming')).length;
    console.log(
      `redis restart: 503 after ${unreadyAt - goneAt} ms, unready ${readyAt - goneAt} ms (Redis gone ${restartedAt - goneAt} ms); ` +
        `steps: ${before} done before, ${steps} in all of ${planned(anchor.ts)} planned, ${resumed} resumes`,
    );
    // No step reported done twice (same title and result) and no resume: the job was neither restarted nor
    // run twice. (The reporter may fold some steps into one reply, so the count is at most the plan's.)
    const texts = sb.slack
      .thread(CHANNEL, anchor.ts)
      .filter((m) => m.text.startsWith(':white_check_mark:'))
      .map((m) => m.text.replace(/\(\d+(\.\d+)?\s*m?s\)/g, ''));
    expect(texts.filter((t, i) => texts.indexOf(t) !== i)).toEqual([]);
    expect(steps).toBeLessThanOrEqual(planned(anchor.ts));
    expect(steps).toBeGreaterThan(before);
    expect(resumed).toBe(0);
    expect(await countMesh(sb)).toEqual(expectedCounts(sb.spec.clusters.length));
  });

  it('flushed mid-up: the running job ends, and `/mesh up` again continues from what exists', async () => {
    const fresh = await sandboxFor('redis-flush');
    try {
      const anchor = (await fresh.send(`up --confirm ${fresh.spec.name}`))!;
      const done = () =>
        fresh.slack.thread(CHANNEL, anchor.ts).filter((m) => m.text.startsWith(':white_check_mark:')).length;
      await until('eight steps done', () => (done() >= 8 ? true : undefined));
      const flusher = new Redis(fresh.redisUrl);
      await flusher.flushall();
      await flusher.quit();
      const first = await fresh.settle(anchor, 600_000);
      const firstDone = done();
      const again = await fresh.run(`up --confirm ${fresh.spec.name}`, { timeoutMs: 600_000 });
      expect(again.ok, seen(again.anchor)).toBe(true);
      // The flush took the changes queue's global concurrency of 1 with it: the next change puts it back.
      const changes = new Queue(queueNames('meshops', fresh.spec.name).changes, {
        connection: { url: fresh.redisUrl },
      });
      expect(await changes.getGlobalConcurrency()).toBe(1);
      await changes.close();
      const newWork = stepsOfNewWork(fresh, again.anchor!.ts);
      const total = again.thread.filter((m) => m.text.startsWith(':white_check_mark:')).length;
      console.log(
        `redis flush: first up ${first.ok ? 'finished' : 'failed'} with ${firstDone} steps done; ` +
          `up again: ${total} steps, ${total - newWork} already in place, ${newWork} did new work`,
      );
      expect(await countMesh(fresh)).toEqual(expectedCounts(fresh.spec.clusters.length));
    } finally {
      await fresh.stop();
    }
  });
});

// A worker-only process (the worker Deployment of deploy/) answers the kubelet's probes on PORT: alive always,
// ready only while Redis answers.
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBot, type TestBot } from '../helpers/bot.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('worker role probes', () => {
  let redis: TestRedis;
  let bot: TestBot;
  let base: string;
  let again: ChildProcess | undefined;
  beforeAll(async () => {
    redis = await startRedis();
    bot = await startTestBot({ redisUrl: redis.url, slackApiUrl: 'http://127.0.0.1:9/api/', role: 'worker' });
    base = `http://127.0.0.1:${bot.config.port}`;
  });
  afterAll(async () => {
    // Bounded: closing BullMQ Workers soon after their Redis came back sometimes never returns (1 run in 3 here;
    // reported to the coordinator). This file is about the probes, not about shutdown.
    await Promise.race([bot?.meshops.stop(), new Promise((r) => setTimeout(r, 10_000))]);
    await redis?.stop();
    again?.kill('SIGTERM');
  });

  it('serves /healthz and /readyz though it runs no web role', async () => {
    expect(bot.meshops.web).toBeUndefined();
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/slack/events`)).status).toBe(404);
  });

  it('answers /readyz 503 while Redis is gone and 200 once it is back; /healthz stays 200', async () => {
    await redis.stop();
    const unready = await waitFor('readyz 503', async () => {
      const r = await fetch(`${base}/readyz`);
      return r.status === 503 ? r.text() : undefined;
    });
    expect(unready).toMatch(/^redis unreachable: /);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    // Redis comes back on the same port, as a restarted container would.
    again = spawn('redis-server', ['--port', String(redis.port), '--bind', '127.0.0.1', '--save', ''], {
      stdio: 'ignore',
    });
    await waitFor('readyz 200', async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined));
  });
});

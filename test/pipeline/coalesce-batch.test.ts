// Asks that join an open status within a few milliseconds of one another share one round trip to Redis: the
// acking thread's cost of a burst is a Redis call per few asks, not one per ask.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { close, joinOpen, markOpen } from '../../src/queue/coalesce.ts';
import { type MeshQueues, openQueues } from '../../src/queue/queues.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

const PREFIX = 'meshops-batch';
let server: TestRedis;
let redis: Redis;
let queues: MeshQueues;

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
  queues = await openQueues(redis, PREFIX, 'demo');
});
afterAll(async () => {
  await queues.close();
  redis.disconnect();
  await server.stop();
});

/** The EVALSHA/EVAL calls Redis receives while `during` runs. */
async function scriptCalls(during: () => Promise<unknown>): Promise<number> {
  const monitor = await new Redis(server.url).monitor();
  let calls = 0;
  monitor.on('monitor', (_time: string, args: string[]) => {
    if (/^eval/i.test(args[0] ?? '')) calls++;
  });
  try {
    await during();
    // MONITOR reports a little after the command ran.
    await new Promise((r) => setTimeout(r, 100));
  } finally {
    monitor.disconnect();
  }
  return calls;
}

const asker = (i: number) => ({ userId: `U0ASKER${i}`, channelId: 'C0MESHOPS', title: '/mesh status' });

it('twenty asks at once join the open status in one round trip, each of them on the list', async () => {
  await queues.reads.add('status', { name: 'status' } as never, { jobId: 'job-7' });
  expect(await markOpen(redis, PREFIX, 'job-7')).toBe(true);
  let joined: Array<{ jobId: string; state: string } | undefined> = [];
  const calls = await scriptCalls(async () => {
    joined = await Promise.all(Array.from({ length: 20 }, (_, i) => joinOpen(redis, PREFIX, queues.reads, asker(i))));
  });
  expect(calls).toBe(1);
  expect(joined).toEqual(Array.from({ length: 20 }, () => ({ jobId: 'job-7', state: 'queued' })));
  const taken = await close(redis, PREFIX, 'job-7');
  expect(taken.map((j) => j.userId).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `U0ASKER${i}`).sort());
});

it('with no status open, every ask of the batch is told so (each then queues or joins on its own)', async () => {
  const joined = await Promise.all([1, 2, 3].map((i) => joinOpen(redis, PREFIX, queues.reads, asker(i))));
  expect(joined).toEqual([undefined, undefined, undefined]);
});

it('a Redis that cannot answer fails every ask of the batch, none is left waiting', async () => {
  const broken = new Redis(server.url, { maxRetriesPerRequest: 0, lazyConnect: true, enableOfflineQueue: false });
  broken.on('error', () => {});
  const asks = [1, 2].map((i) => joinOpen(broken, PREFIX, queues.reads, asker(i)));
  await expect(Promise.all(asks)).rejects.toThrow();
  await Promise.allSettled(asks);
  broken.disconnect();
});

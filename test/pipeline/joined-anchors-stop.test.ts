// Stopping the joined-anchor poster mid-batch: the posts under way end, the rest of the batch is left unclaimed
// for the status job's end to post with its answer, and stop() does not wait for a slow Slack to take them all.
import type { WebClient } from '@slack/web-api';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordedAnchor } from '../../src/queue/anchor.ts';
import { joinerAnchorKey, joinerAnchorPrefix, type PendingJoiner, pendingKey } from '../../src/queue/coalesce.ts';
import { startJoinedAnchors } from '../../src/queue/joined-anchors.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let server: TestRedis;
let redis: Redis;
const PREFIX = 'test-joined-stop';

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url);
});
afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

describe('the joined-anchor poster told to stop', () => {
  it('ends the posts under way, leaves the rest unclaimed, and returns without posting them', async () => {
    let posted = 0;
    let started = 0;
    // Slack at half a second a post: a batch of 40, four at a time, would take five seconds.
    const slack = {
      chat: {
        postMessage: async () => {
          started++;
          await new Promise((r) => setTimeout(r, 500));
          posted++;
          return { ok: true, ts: `1700000000.${String(posted).padStart(6, '0')}` };
        },
        delete: async () => ({ ok: true }),
      },
    } as unknown as WebClient;
    const joiners: PendingJoiner[] = Array.from({ length: 40 }, (_, i) => ({
      id: `j${i}`,
      jobId: '7',
      title: '/mesh status',
      state: 'running',
      userId: `U${i}`,
      channelId: 'C0MESHOPS1',
    }));
    await redis.rpush(pendingKey(PREFIX), ...joiners.map((j) => JSON.stringify(j)));
    const poster = startJoinedAnchors({ redis, slack, prefix: PREFIX, log: pino({ level: 'silent' }) });
    await expect.poll(() => started, { timeout: 5000 }).toBeGreaterThan(0);
    const t0 = performance.now();
    await poster.stop();
    expect(performance.now() - t0).toBeLessThan(2500);
    await new Promise((r) => setTimeout(r, 1500));
    // Only the posts already under way went out; nothing was posted after stop() returned.
    expect(started).toBeLessThanOrEqual(8);
    expect(posted).toBe(started);
    const anchors = await Promise.all(
      joiners.map((j) => recordedAnchor(redis, joinerAnchorPrefix(PREFIX), joinerAnchorKey('7', j.id))),
    );
    expect(anchors.filter(Boolean)).toHaveLength(posted);
    // The others hold no claim: the job's end takes them and posts each anchor with the answer.
    const claims = await Promise.all(
      joiners.map((j) => redis.exists(`${joinerAnchorPrefix(PREFIX)}:anchor:${joinerAnchorKey('7', j.id)}`)),
    );
    expect(claims.filter((c) => c === 1).length).toBeLessThanOrEqual(posted);
  });
});

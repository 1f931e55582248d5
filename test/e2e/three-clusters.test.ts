// Any number of clusters: three regions built, verified (every cluster pings every other's pods) and torn down;
// then an up killed halfway with its queue lost, and a down that still finds everything by its tags.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/sandbox.ts';
import { countMesh, expectedCounts, sandboxFor, ZERO, seen, stepsOfNewWork } from './helpers.ts';

let sb: Sandbox;


beforeAll(async () => {
  sb = await sandboxFor('three', { specPath: `${process.cwd()}/test/fixtures/mesh-three.yaml` });
}, 120_000);

afterAll(async () => {
  await sb?.stop();
});

describe('a three-cluster mesh', () => {
  it('up builds and verifies all three, with a peering per pair and federation per ordered pair', async () => {
    const up = await sb.run('up');
    expect(up.ok, seen(up.anchor)).toBe(true);
    expect(await countMesh(sb)).toEqual(expectedCounts(3));
    const thread = up.thread.map((m) => seen(m)).join('\n');
    for (const name of ['iad', 'pdx', 'fra']) expect(thread).toContain(`Sending in-sync update for RemoteClusterConfiguration(${name})`);
  }, 600_000);

  it('ping all reaches every pod of every other cluster', async () => {
    const all = await sb.run('ping iad all');
    expect(all.ok, seen(all.anchor)).toBe(true);
    expect(seen(all.anchor)).toMatch(/All 6 pings answered/);
  }, 120_000);

  it('status --wait waits out a scale in progress and then reports every check ok', async () => {
    const scaling = (await sb.send('scale fra 3'))!;
    // Ask for status once the StatefulSet has been patched, while its new pods are still coming up.
    const fra = sb.cloud.kube!.find('eu-central-1', 'trio-fra')!;
    const desired = () => (fra.store.get('apps', 'StatefulSet', 'default', 'multi-cluster-rs-fra')?.spec as { replicas?: number } | undefined)?.replicas;
    await expect.poll(desired, { timeout: 60_000 }).toBe(3);
    const status = await sb.run('status --wait');
    expect(status.ok).toBe(true);
    expect(seen(status.anchor)).toMatch(/Mesh \*trio\* is healthy/);
    expect(seen(status.anchor)).toContain('StatefulSet multi-cluster-rs-fra: 3/3 Ready');
    expect((await sb.settle(scaling)).ok).toBe(true);
  }, 300_000);

  it('down removes all of it', async () => {
    const down = await sb.run('down --confirm trio', { timeoutMs: 300_000 });
    expect(down.ok, seen(down.anchor)).toBe(true);
    expect(await countMesh(sb)).toEqual(ZERO);
  }, 300_000);

  it('an up killed halfway, with its queue lost, is still cleaned up completely by down', async () => {
    const anchor = (await sb.send('up'))!;
    const done = () => stepsOfNewWork(sb, anchor.ts);
    const deadline = Date.now() + 300_000;
    while (done() < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await sb.killBot('SIGKILL');
    const redis = new Redis(sb.redisUrl);
    await redis.flushall();
    await redis.quit();
    await sb.startBot();
    const half = await countMesh(sb);
    expect(half.vpcs).toBe(3);
    const down = await sb.run('down --confirm trio', { timeoutMs: 300_000 });
    expect(down.ok, seen(down.anchor)).toBe(true);
    expect(await countMesh(sb)).toEqual(ZERO);
  }, 600_000);
});

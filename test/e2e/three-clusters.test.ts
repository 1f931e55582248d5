// Any number of clusters: three regions built, verified (every cluster pings every other's pods) and torn down;
// then an up killed halfway with its queue lost, and a down that still finds everything by its tags.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/sandbox.ts';
import { countMesh, expectedCounts, sandboxFor, seen, stepsOfNewWork, ZERO } from './helpers.ts';

let sb: Sandbox;
const run = promisify(execFile);

/** `kubectl get` of one field, as an operator would read it through the sandbox's kubeconfig. */
async function kubectlField(context: string, resource: string, jsonpath: string): Promise<string> {
  const args = ['--kubeconfig', sb.kubeconfigPath, '--context', context, 'get', resource, '-o', `jsonpath=${jsonpath}`];
  return (await run('kubectl', args, { timeout: 30_000 }).catch(() => ({ stdout: '' }))).stdout.trim();
}

beforeAll(async () => {
  sb = await sandboxFor('three', { specPath: `${process.cwd()}/test/fixtures/mesh-three.yaml` });
}, 120_000);

afterAll(async () => {
  await sb?.stop();
});

describe('a three-cluster mesh', () => {
  it('up builds and verifies all three, with a peering per pair and federation per ordered pair', async () => {
    const up = await sb.run(`up --confirm ${sb.spec.name}`);
    expect(up.ok, seen(up.anchor)).toBe(true);
    expect(await countMesh(sb, 'gateway')).toEqual(expectedCounts(3));
    const thread = up.thread.map((m) => seen(m)).join('\n');
    for (const name of ['iad', 'pdx', 'fra'])
      expect(thread).toContain(`Sending in-sync update for RemoteClusterConfiguration(${name})`);
  }, 600_000);

  it('ping all reaches every pod of every other cluster', async () => {
    const all = await sb.run('ping iad all');
    expect(all.ok, seen(all.anchor)).toBe(true);
    expect(seen(all.anchor)).toMatch(/All 6 pings answered/);
  }, 120_000);

  it('status --wait waits out a scale in progress and then reports every check ok', async () => {
    const scaling = (await sb.send('scale fra 3'))!;
    // Ask for status once the StatefulSet has been patched, while its new pods are still coming up.
    const desired = () => kubectlField('fra', 'statefulset/multi-cluster-rs-fra', '{.spec.replicas}');
    await expect.poll(desired, { timeout: 60_000, interval: 200 }).toBe('3');
    const status = await sb.run('status --wait');
    expect(status.ok).toBe(true);
    expect(seen(status.anchor)).toMatch(/Mesh \*trio\* is healthy/);
    expect(seen(status.anchor)).toContain('StatefulSet multi-cluster-rs-fra: 3/3 Ready');
    expect((await sb.settle(scaling)).ok).toBe(true);
  }, 300_000);

  it('down removes all of it', async () => {
    const down = await sb.run('down --confirm trio', { timeoutMs: 300_000 });
    expect(down.ok, seen(down.anchor)).toBe(true);
    expect(await countMesh(sb, 'gateway')).toEqual(ZERO);
  }, 300_000);

  it('an up killed halfway, with its queue lost, is still cleaned up completely by down', async () => {
    const anchor = (await sb.send(`up --confirm ${sb.spec.name}`))!;
    const done = () => stepsOfNewWork(sb, anchor.ts);
    await expect.poll(done, { timeout: 300_000, interval: 100 }).toBeGreaterThanOrEqual(20);
    await sb.killBot('SIGKILL');
    const redis = new Redis(sb.redisUrl);
    await redis.flushall();
    await redis.quit();
    await sb.startBot();
    const half = await countMesh(sb, 'gateway');
    expect(half.vpcs).toBe(3);
    const down = await sb.run('down --confirm trio', { timeoutMs: 300_000 });
    expect(down.ok, seen(down.anchor)).toBe(true);
    expect(await countMesh(sb, 'gateway')).toEqual(ZERO);
  }, 600_000);
});

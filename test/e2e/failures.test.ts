// Resources AWS gives up on, end to end: an EKS cluster that goes FAILED and a node group that goes
// CREATE_FAILED during `/mesh up` (sandbox/aws/resource-failures.ts). The user must see the job fail at once,
// naming the resource, its state and what to do; status must show it; `/mesh down` must clear it away so that a
// later `up` can start over.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hookResourceFailures, type ResourceFailures } from '../../sandbox/aws/resource-failures.ts';
import type { Sandbox } from '../../sandbox/sandbox.ts';
import type { SlackMessage } from '../../sandbox/slack/state.ts';
import { countMesh, sandboxFor, seen, ZERO } from './helpers.ts';

let sb: Sandbox;
let failures: ResourceFailures;

beforeAll(async () => {
  sb = await sandboxFor('failures');
  failures = hookResourceFailures(sb.cloud.gateway.eks, sb.cloud.profile);
}, 120_000);

afterAll(async () => {
  failures?.clear();
  await sb?.stop();
});

const everything = (o: { anchor?: SlackMessage; thread: SlackMessage[] }) =>
  [seen(o.anchor), ...o.thread.map((m) => seen(m))].join('\n');

describe('an EKS cluster that goes FAILED', () => {
  it('fails up at once, naming the cluster and what to do; status shows it failing', async () => {
    failures.clusterFails('demo-iad');
    const up = await sb.run(`up --confirm ${sb.spec.name}`, { timeoutMs: 300_000 });
    expect(up.ok).toBe(false);
    const anchor = seen(up.anchor);
    expect(anchor).toMatch(/^:x:/);
    expect(anchor).toMatch(/Failed: step "EKS control plane demo-iad[^"]*" failed: EKS cluster demo-iad FAILED/);
    expect(anchor).toMatch(/delete it \(\/mesh down\) and run up again/);
    // Permanent: a FAILED cluster does not recover by waiting.
    expect(everything(up)).not.toMatch(/trying again automatically/);

    const status = await sb.run('status', { timeoutMs: 120_000 });
    expect(seen(status.anchor)).toMatch(/:red_circle: EKS cluster demo-iad: FAILED/);
  }, 420_000);

  it('down removes the failed cluster and everything else', async () => {
    const down = await sb.run('down --confirm demo', { timeoutMs: 300_000 });
    expect(down.ok, everything(down)).toBe(true);
    expect(await countMesh(sb, 'gateway')).toEqual(ZERO);
  }, 360_000);
});

describe('a node group that goes CREATE_FAILED', () => {
  it('fails up at once, naming the node group, its state and what to check', async () => {
    failures.nodegroupFails('demo-pdx');
    const up = await sb.run(`up --confirm ${sb.spec.name}`, { timeoutMs: 300_000 });
    expect(up.ok).toBe(false);
    const anchor = seen(up.anchor);
    expect(anchor).toMatch(/^:x:/);
    expect(anchor).toMatch(/Failed: step "[^"]*" failed: node group demo-pdx-nodes is CREATE_FAILED/);
    // EKS's own health issue, as DescribeNodegroup gives it.
    expect(anchor).toContain('NodeCreationFailure: Instances failed to join the kubernetes cluster');
    expect(anchor).toMatch(/check the node role, the instance type in the region, and the EC2 instance quota/);
    expect(everything(up)).not.toMatch(/trying again automatically/);

    const status = await sb.run('status', { timeoutMs: 120_000 });
    expect(seen(status.anchor)).toMatch(/:red_circle: node group demo-pdx-nodes: CREATE_FAILED/);
  }, 420_000);

  it('down removes the failed node group and everything else', async () => {
    const down = await sb.run('down --confirm demo', { timeoutMs: 300_000 });
    expect(down.ok, everything(down)).toBe(true);
    expect(await countMesh(sb, 'gateway')).toEqual(ZERO);
  }, 360_000);
});

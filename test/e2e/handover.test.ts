// The real bot (`node src/main.ts`, as the sandbox runs it) gets SIGTERM while `/mesh up` is running: its own
// shutdown path stops the job at the next safe point, hands it back to the queue and exits 0; the bot started
// after it resumes the job and finishes it. What AWS saw proves that no step was done twice: every create call
// happened exactly once per resource that exists at the end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNEL, type Sandbox } from '../../sandbox/sandbox.ts';
import { countMesh, expectedCounts, sandboxFor, seen, stepsOfNewWork } from './helpers.ts';

let sb: Sandbox;

beforeAll(async () => {
  // A short lock: the handed-back job is picked up within seconds of the new bot starting. Slack's rate limits
  // stay on, as in a real workspace: the reporter must wait out 429s while it hands over.
  sb = await sandboxFor('handover', { slackRateLimits: true, botEnv: { WORKER_LOCK_SECONDS: '4' } });
}, 120_000);

afterAll(async () => {
  await sb?.stop();
});

const anchorNow = (ts: string) => sb.slack.messages(CHANNEL).find((m) => m.ts === ts);

describe('SIGTERM to the real bot in the middle of /mesh up', () => {
  it('stops at a safe point, exits 0, and the next bot finishes the job without doing any step twice', async () => {
    const anchor = (await sb.send(`up --confirm ${sb.spec.name}`))!;
    expect(anchor).toBeDefined();
    await expect
      .poll(() => stepsOfNewWork(sb, anchor.ts), { timeout: 300_000, interval: 100 })
      .toBeGreaterThanOrEqual(3);

    await sb.killBot('SIGTERM');
    // Exit code 0 is src/main.ts's own handler; a process that SIGTERM simply killed has a signalCode instead.
    expect({ code: sb.bot().exitCode, signal: sb.bot().signalCode }).toEqual({ code: 0, signal: null });
    expect(seen(anchorNow(anchor.ts))).toMatch(/Paused: the worker is restarting/);

    await sb.startBot();
    const outcome = await sb.settle(anchor, 600_000);
    expect(outcome.ok, seen(outcome.anchor)).toBe(true);
    expect(outcome.thread.some((m) => /Resuming/.test(m.text))).toBe(true);

    const counts = await countMesh(sb, 'gateway');
    expect(counts).toEqual(expectedCounts(2));
    const calls = sb.cloud.calls.counts();
    const creates = {
      'ec2:CreateVpc': calls['ec2:CreateVpc'],
      'ec2:CreateSubnet': calls['ec2:CreateSubnet'],
      'ec2:CreateInternetGateway': calls['ec2:CreateInternetGateway'],
      'ec2:AllocateAddress': calls['ec2:AllocateAddress'],
      'ec2:CreateNatGateway': calls['ec2:CreateNatGateway'],
      'ec2:CreateVpcPeeringConnection': calls['ec2:CreateVpcPeeringConnection'],
      'eks:CreateCluster': calls['eks:CreateCluster'],
      'eks:CreateNodegroup': calls['eks:CreateNodegroup'],
      'iam:CreateRole': calls['iam:CreateRole'],
    };
    expect(creates).toEqual({
      'ec2:CreateVpc': counts.vpcs,
      'ec2:CreateSubnet': counts.subnets,
      'ec2:CreateInternetGateway': counts.igws,
      'ec2:AllocateAddress': counts.addresses,
      'ec2:CreateNatGateway': counts.nats,
      'ec2:CreateVpcPeeringConnection': counts.peerings,
      'eks:CreateCluster': counts.clusters,
      'eks:CreateNodegroup': counts.nodegroups,
      'iam:CreateRole': counts.roles,
    });
  }, 900_000);
});

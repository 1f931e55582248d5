// Resources AWS gives up on, end to end (sandbox/aws/resource-failures.ts): an EKS cluster that goes FAILED, a
// NAT gateway that goes `failed`, a VPC peering that is `rejected` or `expired`, and a node group that goes
// CREATE_FAILED during `/mesh up`. The user must see the job fail at once, naming the resource, its state, AWS's
// reason and what to do; status must show it; and what the message promises must hold: `/mesh up` again replaces
// what failed and carries on, `/mesh down` clears everything away. What exists is read through the sandbox's AWS
// endpoint with the AWS SDK, as a user's AWS CLI would.
import {
  DeleteNatGatewayCommand,
  DeleteVpcPeeringConnectionCommand,
  DescribeNatGatewaysCommand,
  DescribeVpcPeeringConnectionsCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { DescribeClusterCommand } from '@aws-sdk/client-eks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hookResourceFailures, type ResourceFailures } from '../../sandbox/aws/resource-failures.ts';
import type { Sandbox } from '../../sandbox/sandbox.ts';
import type { SlackMessage } from '../../sandbox/slack/state.ts';
import { makeAwsClients } from '../../src/aws/clients.ts';
import { countMesh, sandboxFor, seen, ZERO } from './helpers.ts';

let sb: Sandbox;
let failures: ResourceFailures;
let aws: ReturnType<typeof makeAwsClients>;

beforeAll(async () => {
  sb = await sandboxFor('failures');
  failures = hookResourceFailures(sb.cloud.gateway, sb.cloud.profile);
  aws = makeAwsClients({
    endpoint: sb.cloud.awsEndpoint,
    credentials: {
      accessKeyId: sb.cloud.awsEnv.AWS_ACCESS_KEY_ID!,
      secretAccessKey: sb.cloud.awsEnv.AWS_SECRET_ACCESS_KEY!,
    },
  });
}, 120_000);

afterAll(async () => {
  failures?.clear();
  await sb?.stop();
});

const everything = (o: { anchor?: SlackMessage; thread: SlackMessage[] }) =>
  [seen(o.anchor), ...o.thread.map((m) => seen(m))].join('\n');

const MESH = [{ Name: 'tag:meshops:mesh', Values: ['demo'] }];

async function natGateways(ec2: EC2Client, ids?: string[]) {
  const out = await ec2.send(new DescribeNatGatewaysCommand(ids ? { NatGatewayIds: ids } : { Filter: MESH }));
  return out.NatGateways ?? [];
}

async function peerings(ec2: EC2Client, ids?: string[]) {
  const out = await ec2.send(
    new DescribeVpcPeeringConnectionsCommand(ids ? { VpcPeeringConnectionIds: ids } : { Filters: MESH }),
  );
  return out.VpcPeeringConnections ?? [];
}

describe('a FAILED EKS cluster, a failed NAT gateway, a rejected and an expired peering: each replaced by up', () => {
  let failedNat: string;
  const endedPeerings: string[] = [];

  it('fails up at once, naming the cluster and what to do; status shows it failing', async () => {
    failures.clusterFails('demo-iad');
    const up = await sb.run(`up --confirm ${sb.spec.name}`, { timeoutMs: 300_000 });
    expect(up.ok).toBe(false);
    const anchor = seen(up.anchor);
    expect(anchor).toMatch(/^:x:/);
    expect(anchor).toMatch(/Failed: step "EKS control plane demo-iad[^"]*" failed: EKS cluster demo-iad FAILED/);
    expect(anchor).toMatch(
      /EKS does not repair a FAILED cluster: check the cluster role demo-eks-cluster and the subnets; `\/mesh up` then deletes the FAILED cluster and creates it anew/,
    );
    // Permanent: a FAILED cluster does not recover by waiting.
    expect(everything(up)).not.toMatch(/trying again automatically/);

    const status = await sb.run('status', { timeoutMs: 120_000 });
    expect(seen(status.anchor)).toMatch(/:red_circle: EKS cluster demo-iad: FAILED/);
  }, 420_000);

  it('up again makes the FAILED cluster anew; a NAT gateway that fails stops it, naming its state and reason', async () => {
    failures.clear();
    // Someone deleted a NAT gateway; the one `up` makes in its place fails.
    const ec2 = aws.ec2('us-east-1');
    const gone = (await natGateways(ec2)).find((n) => n.State === 'available')!;
    await ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: gone.NatGatewayId! }));
    await vi.waitFor(async () => expect((await natGateways(ec2, [gone.NatGatewayId!]))[0]?.State).toBe('deleted'), {
      timeout: 30_000,
      interval: 200,
    });
    failures.natFails('us-east-1');
    const up = await sb.run(`up --confirm ${sb.spec.name}`, { timeoutMs: 300_000 });
    expect(up.ok).toBe(false);
    const anchor = seen(up.anchor);
    expect(anchor).toMatch(/^:x:/);
    const m = anchor.match(
      /NAT gateway (nat-\w+) \((us-east-1[a-z])\) is failed: InsufficientFreeAddressesInSubnet: Subnet has insufficient free addresses to create this NAT gateway/,
    );
    expect(m, anchor).not.toBeNull();
    expect(anchor).toContain(
      `AWS does not repair a failed NAT gateway: once the cause is fixed, \`/mesh up\` makes a new one in ${m![2]}`,
    );
    expect(everything(up)).not.toMatch(/trying again automatically/);
    failedNat = m![1]!;
    expect(failedNat).not.toBe(gone.NatGatewayId);
    // As EC2 shows it: failed, with its reason.
    const [nat] = await natGateways(ec2, [failedNat]);
    expect(nat).toMatchObject({ State: 'failed', FailureCode: 'InsufficientFreeAddressesInSubnet' });
    // Meanwhile, as the first failure said, the FAILED cluster was deleted and made anew.
    expect(everything(up)).toMatch(/EKS cluster demo-iad created anew \(the FAILED one deleted\): ACTIVE/);
    const c = await aws.eks('us-east-1').send(new DescribeClusterCommand({ name: 'demo-iad' }));
    expect(c.cluster?.status).toBe('ACTIVE');
  }, 420_000);

  it('up again replaces the failed NAT gateway; a peering that is rejected fails up, saying what to do', async () => {
    failures.clear();
    // Someone deleted the peering; the request `up` makes in its place is rejected.
    const ec2 = aws.ec2('us-east-1');
    const active = (await peerings(ec2)).find((p) => p.Status?.Code === 'active')!;
    await ec2.send(new DeleteVpcPeeringConnectionCommand({ VpcPeeringConnectionId: active.VpcPeeringConnectionId! }));
    failures.peeringFails('rejected');
    const up = await sb.run(`up --confirm ${sb.spec.name}`, { timeoutMs: 300_000 });
    expect(up.ok).toBe(false);
    expect(everything(up)).toMatch(/NAT gateway ready: nat-\w+ in us-east-1[a-z]/);
    const live = (await natGateways(ec2)).filter((n) => n.State === 'available');
    expect(live).toHaveLength(2);
    expect(live.map((n) => n.NatGatewayId)).not.toContain(failedNat);

    const anchor = seen(up.anchor);
    expect(anchor).toMatch(/^:x:/);
    const m = anchor.match(/VPC peering (pcx-\w+) is rejected: Rejected by \d+/);
    expect(m, anchor).not.toBeNull();
    expect(anchor).toMatch(/someone or something in the accepter region rejected the request/);
    expect(anchor).toMatch(/run `\/mesh up` again: it requests a new peering/);
    expect(everything(up)).not.toMatch(/trying again automatically/);
    endedPeerings.push(m![1]!);
  }, 420_000);

  it('a peering request that expires fails up the same way', async () => {
    failures.peeringFails('expired');
    const up = await sb.run(`up --confirm ${sb.spec.name}`, { timeoutMs: 300_000 });
    expect(up.ok).toBe(false);
    const anchor = seen(up.anchor);
    const m = anchor.match(/VPC peering (pcx-\w+) is expired: Expired/);
    expect(m, anchor).not.toBeNull();
    expect(anchor).toMatch(/the request was not accepted in time \(AWS lets a request wait 7 days\)/);
    expect(m![1]).not.toBe(endedPeerings[0]);
    endedPeerings.push(m![1]!);
  }, 420_000);

  it('up again requests a new peering and finishes; the ended ones stay visible as AWS keeps them', async () => {
    failures.clear();
    const up = await sb.run(`up --confirm ${sb.spec.name}`, { timeoutMs: 300_000 });
    expect(up.ok, everything(up)).toBe(true);
    const ec2 = aws.ec2('us-east-1');
    const active = (await peerings(ec2)).filter((p) => p.Status?.Code === 'active');
    expect(active).toHaveLength(1);
    expect(endedPeerings).not.toContain(active[0]!.VpcPeeringConnectionId);
    expect(everything(up)).toContain(`VPC peering active: ${active[0]!.VpcPeeringConnectionId}`);
    const ended = await peerings(ec2, endedPeerings);
    expect(ended.map((p) => p.Status?.Code).sort()).toEqual(['expired', 'rejected']);
  }, 360_000);

  it('down removes everything', async () => {
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

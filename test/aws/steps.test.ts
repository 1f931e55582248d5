// The AWS steps, status and down against the sandbox cloud ('fast' profile): EKS clusters are CREATING for a few
// seconds, NAT gateways pending, the cluster security group is made by "EKS", and faults can be injected.
// One cloud for the whole file (starting moto and warming a region costs ~15 s on a loaded machine); each test
// uses its own mesh name, so tests never see each other's resources.
import {
  AllocateAddressCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcPeeringConnectionsCommand,
  ModifyVpcAttributeCommand,
} from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, DescribeNodegroupCommand, ListClustersCommand } from '@aws-sdk/client-eks';
import {
  CreateRoleCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  ListAttachedRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planFromInventory } from '../../jobs/down/aws.ts';
import { observeAws, observeBilled } from '../../jobs/status/aws.ts';
import {
  controlPlaneStep,
  endpointAccessStep,
  nodeGroupStep,
  scaleNodeGroupStep,
  securityRulesStep,
} from '../../jobs/up/aws/eks.ts';
import { iamStep } from '../../jobs/up/aws/iam.ts';
import { networkStep } from '../../jobs/up/aws/network.ts';
import { peeringStep } from '../../jobs/up/aws/peering.ts';
import type { Cloud } from '../../sandbox/cloud.ts';
import { startCloud } from '../../sandbox/cloud.ts';
import type { ClusterHost } from '../../sandbox/contracts.ts';
import { tagSpec } from '../../src/aws/tags.ts';
import { costOfObserved, loadPrices } from '../../src/cost.ts';
import type { Deps } from '../../src/deps.ts';
import { CancelledError, PermanentError } from '../../src/errors.ts';
import { findMesh, presence } from '../../src/mesh/aws/inventory.ts';
import { isSettled, nothingToDo, observePlan } from '../../src/steps/plan-text.ts';
import { runPlan } from '../../src/steps/runner.ts';
import type { GroupStep } from '../../src/steps/step.ts';
import { leaves, parallel, sequential } from '../../src/steps/step.ts';
import { countRoles, countTagged, ZERO } from './count.ts';
import { meshSpec, run, runExpectingFailure, testContext, testDeps } from './harness.ts';

/** The AWS side alone: clusters get an endpoint nobody serves, which is all these steps need. */
const noKubernetes: ClusterHost = {
  startCluster: async () => ({ endpoint: 'https://127.0.0.1:9', caPem: '' }),
  stopCluster: async () => {},
  setNodeGroup: () => {},
  deleteNodeGroup: () => {},
};

/** The down job's own path: find what the mesh owns, then the reverse tree of removes. */
const planDownAws = async (deps: Deps) => planFromInventory(deps, await findMesh(deps));
/** Whether the mesh exists, as the down preview tells it. */
const meshExists = async (deps: Deps) => presence(deps.spec.name, await findMesh(deps));

let cloud: Cloud;
beforeAll(async () => {
  cloud = await startCloud({ profile: 'fast', clusterHost: noKubernetes });
});
afterAll(async () => {
  await cloud?.stop();
});

describe('network step', () => {
  it('builds the blueprint network once, and a second run changes nothing and makes no duplicates', async () => {
    const spec = meshSpec('net1');
    const deps = testDeps(cloud.awsEndpoint, spec);
    const iad = spec.clusters[0]!;
    const step = networkStep(deps, iad);

    const before = await observePlan(step, testContext());
    expect(before.get('network/iad/vpc')?.state).toBe('missing');

    const first = await run(step);
    expect(first.changed).toBe(true);
    const vpcId = first.outcomes.get('network/iad/vpc')!.resources!.vpc!;
    expect(first.outcomes.get('network/iad/vpc')!.summary).toContain(vpcId);

    const second = await run(networkStep(deps, iad));
    expect([...second.outcomes.entries()].filter(([, o]) => o.changed).map(([id]) => id)).toEqual([]);
    expect(second.outcomes.get('network/iad/vpc')!.resources!.vpc).toBe(vpcId);

    const after = await observePlan(step, testContext());
    expect([...after.values()].every((o) => isSettled(o))).toBe(true);

    const counts = await countTagged(deps, 'us-east-1', 'net1');
    expect(counts).toMatchObject({ vpcs: 1, subnets: 4, igws: 1, nats: 2, addresses: 2, routeTables: 3 });

    const ec2 = deps.aws.ec2('us-east-1');
    const hostnames = await ec2.send(
      new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: 'enableDnsHostnames' }),
    );
    expect(hostnames.EnableDnsHostnames?.Value).toBe(true);

    const subnets = (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] })))
      .Subnets!;
    const byCidr = new Map(subnets.map((s) => [s.CidrBlock, s]));
    expect([...byCidr.keys()].sort()).toEqual(['10.0.0.0/20', '10.0.16.0/20', '10.0.160.0/20', '10.0.176.0/20']);
    const tag = (cidr: string, key: string) => byCidr.get(cidr)!.Tags!.find((t) => t.Key === key)?.Value;
    expect(tag('10.0.0.0/20', 'kubernetes.io/role/elb')).toBe('1');
    expect(tag('10.0.160.0/20', 'kubernetes.io/role/internal-elb')).toBe('1');
    expect(byCidr.get('10.0.0.0/20')!.AvailabilityZone).not.toBe(byCidr.get('10.0.16.0/20')!.AvailabilityZone);

    // Each private subnet routes 0.0.0.0/0 through the NAT gateway of its own AZ.
    const rtbs = (
      await ec2.send(
        new DescribeRouteTablesCommand({
          Filters: [
            { Name: 'tag:meshops:component', Values: ['rtb-private'] },
            { Name: 'vpc-id', Values: [vpcId] },
          ],
        }),
      )
    ).RouteTables!;
    expect(rtbs).toHaveLength(2);
    const nats = new Set(rtbs.map((t) => t.Routes!.find((r) => r.DestinationCidrBlock === '0.0.0.0/0')?.NatGatewayId));
    expect(nats.size).toBe(2);
    const associated = rtbs.flatMap((t) =>
      t.Associations!.map((a) => byCidr.get(subnets.find((s) => s.SubnetId === a.SubnetId)!.CidrBlock)!.CidrBlock),
    );
    expect(associated.sort()).toEqual(['10.0.160.0/20', '10.0.176.0/20']);
  });

  it('the VPC step makes the VPC and nothing more; the DNS step turns DNS hostnames on, and on again after someone turned them off', async () => {
    const spec = meshSpec('net4');
    const deps = testDeps(cloud.awsEndpoint, spec);
    const leafOf = (id: string) => () => leaves(networkStep(deps, spec.clusters[0]!)).find((l) => l.id === id)!;
    const [vpcLeaf, dnsLeaf] = [leafOf('network/iad/vpc'), leafOf('network/iad/dns')];
    const calls = (action: string) => cloud.calls.counts()[`ec2:${action}`] ?? 0;
    const counted = ['DescribeVpcs', 'CreateVpc', 'DescribeVpcAttribute', 'ModifyVpcAttribute'];
    const snapshot = () => Object.fromEntries(counted.map((a) => [a, calls(a)]));
    const delta = (before: Record<string, number>) =>
      Object.fromEntries(counted.map((a) => [a, calls(a) - before[a]!]));

    // The SDK sent the create once: no copy to look for, and no attribute touched.
    let before = snapshot();
    const made = await run(vpcLeaf());
    expect(delta(before)).toEqual({ DescribeVpcs: 1, CreateVpc: 1, DescribeVpcAttribute: 0, ModifyVpcAttribute: 0 });
    const vpcId = made.outcomes.get('network/iad/vpc')!.resources!.vpc!;
    const ec2 = deps.aws.ec2('us-east-1');
    const attr = async (Attribute: 'enableDnsSupport' | 'enableDnsHostnames') => {
      const out = await ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute }));
      return (Attribute === 'enableDnsSupport' ? out.EnableDnsSupport : out.EnableDnsHostnames)?.Value;
    };
    // EC2 gives a new VPC DNS support and no DNS hostnames: one ModifyVpcAttribute.
    before = snapshot();
    const dns = await run(dnsLeaf());
    expect(delta(before)).toMatchObject({ DescribeVpcs: 1, CreateVpc: 0, ModifyVpcAttribute: 1 });
    expect(dns.changed).toBe(true);
    expect([await attr('enableDnsSupport'), await attr('enableDnsHostnames')]).toEqual([true, true]);

    // Someone turned DNS hostnames off: the next run reads both attributes and turns hostnames back on.
    await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: false } }));
    before = snapshot();
    const fixed = await run(dnsLeaf());
    expect(delta(before)).toEqual({ DescribeVpcs: 1, CreateVpc: 0, DescribeVpcAttribute: 2, ModifyVpcAttribute: 1 });
    expect(fixed.changed).toBe(true);
    expect(await attr('enableDnsHostnames')).toBe(true);
    expect((await run(dnsLeaf())).changed).toBe(false);
  });

  it('uses the availability zones the spec names', async () => {
    const spec = meshSpec('net2');
    spec.clusters[1]!.availabilityZones = ['us-west-2c', 'us-west-2b'];
    const deps = testDeps(cloud.awsEndpoint, spec);
    await run(networkStep(deps, spec.clusters[1]!));
    const subnets = (
      await deps.aws
        .ec2('us-west-2')
        .send(new DescribeSubnetsCommand({ Filters: [{ Name: 'tag:meshops:mesh', Values: ['net2'] }] }))
    ).Subnets!;
    const az = (cidr: string) => subnets.find((s) => s.CidrBlock === cidr)!.AvailabilityZone;
    expect([az('10.1.0.0/20'), az('10.1.16.0/20'), az('10.1.160.0/20'), az('10.1.176.0/20')]).toEqual([
      'us-west-2c',
      'us-west-2b',
      'us-west-2c',
      'us-west-2b',
    ]);
  });

  it('refuses to reuse a VPC whose CIDR differs from the spec', async () => {
    const spec = meshSpec('net3');
    const deps = testDeps(cloud.awsEndpoint, spec);
    await run(networkStep(deps, spec.clusters[0]!));
    const changed = { ...spec.clusters[0]!, vpcCidr: '10.9.0.0/16' };
    await expect(run(networkStep(deps, changed))).rejects.toThrow(
      /has CIDR 10\.0\.0\.0\/16, but the spec says 10\.9\.0\.0\/16/,
    );
  });
  it('after a crash between the Elastic IP and the NAT gateway, reuses that address instead of making another', async () => {
    const spec = meshSpec('net4');
    const deps = testDeps(cloud.awsEndpoint, spec);
    const iad = spec.clusters[0]!;
    // What an interrupted run leaves: the network up to the subnets, and one tagged Elastic IP for the first AZ.
    const vpcAndSubnets = (networkStep(deps, iad) as GroupStep).children.slice(0, 2);
    const partial = await run(sequential('partial', 'VPC and subnets only', vpcAndSubnets));
    const az = (
      await deps.aws.ec2('us-east-1').send(
        new DescribeSubnetsCommand({
          SubnetIds: [partial.outcomes.get('network/iad/subnets')!.resources!['public-0']!],
        }),
      )
    ).Subnets![0]!.AvailabilityZone!;
    const leftover = await deps.aws.ec2('us-east-1').send(
      new AllocateAddressCommand({
        Domain: 'vpc',
        TagSpecifications: tagSpec('elastic-ip', { mesh: 'net4', cluster: 'iad', component: 'eip', az }),
      }),
    );
    const done = await run(networkStep(deps, iad));
    expect(done.outcomes.get('network/iad/nat-1')!.resources!.eip).toBe(leftover.AllocationId);
    expect(await countTagged(deps, 'us-east-1', 'net4')).toMatchObject({ addresses: 2, nats: 2 });
  });
});

describe('peering step', () => {
  it('peers us-east-1 and us-west-2, routes both CIDRs in every private route table, and is idempotent', async () => {
    const spec = meshSpec('peer1');
    const deps = testDeps(cloud.awsEndpoint, spec);
    const [iad, pdx] = spec.clusters as [(typeof spec.clusters)[0], (typeof spec.clusters)[0]];
    await run(parallel('network', 'networks', [networkStep(deps, iad), networkStep(deps, pdx)]));

    const first = await run(peeringStep(deps, iad, pdx));
    const pcxId = first.outcomes.get('peering/iad-pdx/connection')!.resources!.peering!;
    expect(first.outcomes.get('peering/iad-pdx/connection')!.summary).toMatch(/active/);
    expect(first.outcomes.get('peering/iad-pdx/dns')!.summary).toMatch(/enabled/);

    const west = deps.aws.ec2('us-west-2');
    const seen = (await west.send(new DescribeVpcPeeringConnectionsCommand({ VpcPeeringConnectionIds: [pcxId] })))
      .VpcPeeringConnections![0]!;
    expect(seen.Status?.Code).toBe('active');
    expect(seen.RequesterVpcInfo?.Region).toBe('us-east-1');
    expect(seen.AccepterVpcInfo?.PeeringOptions?.AllowDnsResolutionFromRemoteVpc).toBe(true);

    for (const [region, peerCidr] of [
      ['us-east-1', '10.1.0.0/16'],
      ['us-west-2', '10.0.0.0/16'],
    ] as const) {
      const tables = (
        await deps.aws.ec2(region).send(
          new DescribeRouteTablesCommand({
            Filters: [
              { Name: 'tag:meshops:mesh', Values: ['peer1'] },
              { Name: 'tag:meshops:component', Values: ['rtb-private'] },
            ],
          }),
        )
      ).RouteTables!;
      expect(tables).toHaveLength(2);
      for (const t of tables) {
        expect(t.Routes!.find((r) => r.DestinationCidrBlock === peerCidr)?.VpcPeeringConnectionId).toBe(pcxId);
      }
    }

    // Run again from the other side: the same connection is found, nothing changes.
    const again = await run(peeringStep(deps, iad, pdx));
    expect(again.changed).toBe(false);
    const reverse = await run(peeringStep(deps, pdx, iad));
    expect(reverse.changed).toBe(false);
    expect(reverse.outcomes.get('peering/pdx-iad/connection')!.resources!.peering).toBe(pcxId);
    const live = (
      await deps.aws.ec2('us-east-1').send(
        new DescribeVpcPeeringConnectionsCommand({
          Filters: [
            { Name: 'status-code', Values: ['pending-acceptance', 'active'] },
            { Name: 'tag:meshops:mesh', Values: ['peer1'] },
          ],
        }),
      )
    ).VpcPeeringConnections!;
    expect(live).toHaveLength(1);
  });

  it('fails with a clear message when a VPC is missing', async () => {
    const spec = meshSpec('peer2');
    const deps = testDeps(cloud.awsEndpoint, spec);
    const err = await runExpectingFailure(peeringStep(deps, spec.clusters[0]!, spec.clusters[1]!));
    expect((err as Error).message).toMatch(/VPC of iad is not there yet/);
  });
});

describe('iam step', () => {
  it('makes the cluster and node roles with their trust and policies, and a second run changes nothing', async () => {
    const spec = meshSpec('iam1');
    const deps = testDeps(cloud.awsEndpoint, spec);
    const first = await run(iamStep(deps));
    expect(first.changed).toBe(true);
    const iam = deps.aws.iam();
    const clusterRole = (await iam.send(new GetRoleCommand({ RoleName: 'iam1-eks-cluster' }))).Role!;
    expect(decodeURIComponent(clusterRole.AssumeRolePolicyDocument!)).toContain('eks.amazonaws.com');
    expect(clusterRole.Tags).toContainEqual({ Key: 'meshops:mesh', Value: 'iam1' });
    const nodePolicies = (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'iam1-eks-node' })))
      .AttachedPolicies!.map((p) => p.PolicyName)
      .sort();
    expect(nodePolicies).toEqual(['AmazonEC2ContainerRegistryReadOnly', 'AmazonEKSWorkerNodePolicy']);

    const second = await run(iamStep(deps));
    expect(second.changed).toBe(false);

    // A policy detached by hand is attached again; nothing else changes.
    await iam.send(
      new DetachRolePolicyCommand({
        RoleName: 'iam1-eks-node',
        PolicyArn: 'arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy',
      }),
    );
    const repair = await run(iamStep(deps));
    expect(repair.outcomes.get('iam/node-role')!.changed).toBe(true);
    expect(repair.outcomes.get('iam/cluster-role')!.changed).toBe(false);
  });

  it('refuses to adopt a role of the same name that meshops did not make', async () => {
    const spec = meshSpec('iam2');
    const deps = testDeps(cloud.awsEndpoint, spec);
    await deps.aws.iam().send(
      new CreateRoleCommand({
        RoleName: 'iam2-eks-cluster',
        AssumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[]}',
      }),
    );
    const err = await runExpectingFailure(sequential('iam-only', 'iam', [iamStep(deps)]));
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).message).toMatch(/iam2-eks-cluster exists but is not tagged meshops:mesh=iam2/);
  });
});

describe('EKS steps', () => {
  it("creates the control plane in the private subnets and the node group at the spec's size; scale resizes it", async () => {
    const spec = meshSpec('eks1');
    spec.clusters[0]!.nodeGroup.sshKeyName = 'ops-key';
    const deps = testDeps(cloud.awsEndpoint, spec);
    const iad = spec.clusters[0]!;
    const first = await run(
      sequential('up', 'up', [
        networkStep(deps, iad),
        iamStep(deps),
        controlPlaneStep(deps, iad),
        nodeGroupStep(deps, iad),
      ]),
    );
    const cp = first.outcomes.get('cluster/iad/control-plane')!;
    expect(cp.changed).toBe(true);
    expect(cp.summary).toMatch(/EKS cluster eks1-iad created: ACTIVE, Kubernetes 1\.35, https:\/\//);

    const eks = deps.aws.eks('us-east-1');
    const cluster = (await eks.send(new DescribeClusterCommand({ name: 'eks1-iad' }))).cluster!;
    const privateSubnets = [
      first.outcomes.get('network/iad/subnets')!.resources!['private-0'],
      first.outcomes.get('network/iad/subnets')!.resources!['private-1'],
    ];
    expect([...cluster.resourcesVpcConfig!.subnetIds!].sort()).toEqual([...privateSubnets].sort());
    expect(cluster.resourcesVpcConfig!.endpointPublicAccess).toBe(true);
    expect(cluster.roleArn).toMatch(/role\/meshops\/eks1-eks-cluster$/);
    expect(cluster.tags).toMatchObject({
      'meshops:mesh': 'eks1',
      'meshops:cluster': 'iad',
      'meshops:component': 'cluster',
    });

    const ng = (
      await eks.send(new DescribeNodegroupCommand({ clusterName: 'eks1-iad', nodegroupName: 'eks1-iad-nodes' }))
    ).nodegroup!;
    // At its size from the start: the plan creates it after the CNI swap, as Tigera's EKS guide does.
    expect(ng.scalingConfig).toEqual({ minSize: 0, maxSize: 8, desiredSize: 3 });
    expect(ng.instanceTypes).toEqual(['m5.xlarge']);
    expect(ng.diskSize).toBe(100);
    expect(ng.remoteAccess?.ec2SshKey).toBe('ops-key');
    expect(ng.nodeRole).toMatch(/role\/meshops\/eks1-eks-node$/);
    expect(ng.labels).toMatchObject({ 'meshops.io/mesh': 'eks1' });

    const scaled = await run(scaleNodeGroupStep(deps, iad, 4));
    expect(scaled.outcomes.get('cluster/iad/scale')!.summary).toBe('node group eks1-iad-nodes scaled 3 -> 4 nodes');
    const after = (
      await eks.send(new DescribeNodegroupCommand({ clusterName: 'eks1-iad', nodegroupName: 'eks1-iad-nodes' }))
    ).nodegroup!;
    expect(after.scalingConfig?.desiredSize).toBe(4);
    await run(scaleNodeGroupStep(deps, iad));

    const again = await run(
      sequential('up', 'up', [controlPlaneStep(deps, iad), nodeGroupStep(deps, iad), scaleNodeGroupStep(deps, iad)]),
    );
    expect(again.changed).toBe(false);
    expect(again.outcomes.get('cluster/iad/scale')!.summary).toBe('node group eks1-iad-nodes already at 3 nodes');

    // Scaling beyond the group's max raises the max rather than failing.
    await run(scaleNodeGroupStep(deps, iad, 10));
    const big = (
      await eks.send(new DescribeNodegroupCommand({ clusterName: 'eks1-iad', nodegroupName: 'eks1-iad-nodes' }))
    ).nodegroup!;
    expect(big.scalingConfig).toMatchObject({ desiredSize: 10, maxSize: 10 });
  });

  it("a node group EC2 cannot grow fails at once with EKS's health issues; the spec's minSize is honoured", async () => {
    const spec = meshSpec('eks3');
    const deps = testDeps(cloud.awsEndpoint, spec);
    const iad = spec.clusters[0]!;
    iad.nodeGroup.minSize = 2;
    await run(
      sequential('base', 'base', [
        networkStep(deps, iad),
        iamStep(deps),
        controlPlaneStep(deps, iad),
        nodeGroupStep(deps, iad),
      ]),
    );
    const eks = deps.aws.eks('us-east-1');
    const describe = async () =>
      (await eks.send(new DescribeNodegroupCommand({ clusterName: 'eks3-iad', nodegroupName: 'eks3-iad-nodes' })))
        .nodegroup!;
    expect((await describe()).scalingConfig).toEqual({ minSize: 2, maxSize: 8, desiredSize: 3 });
    cloud.faults.noCapacity(['m5.xlarge']);
    const started = Date.now();
    try {
      const err = (await runExpectingFailure(scaleNodeGroupStep(deps, iad, 5))) as PermanentError;
      expect(err).toBeInstanceOf(PermanentError);
      expect(err.message).toMatch(
        /^node group eks3-iad-nodes is DEGRADED: AsgInstanceLaunchFailures: .*InsufficientInstanceCapacity/,
      );
      expect(err.hint).toMatch(/\/mesh up then sets its size again$/);
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      cloud.faults.clear();
    }
    await run(scaleNodeGroupStep(deps, iad));
    const ng = await describe();
    expect(ng.scalingConfig).toEqual({ minSize: 2, maxSize: 8, desiredSize: 3 });
    expect(ng.status).toBe('ACTIVE');
  });

  it('a node group created where EC2 has no capacity fails its create; up again replaces it', async () => {
    const spec = meshSpec('eks4');
    const deps = testDeps(cloud.awsEndpoint, spec);
    const iad = spec.clusters[0]!;
    await run(sequential('base', 'base', [networkStep(deps, iad), iamStep(deps), controlPlaneStep(deps, iad)]));
    cloud.faults.noCapacity(['m5.xlarge']);
    try {
      const err = (await runExpectingFailure(nodeGroupStep(deps, iad))) as PermanentError;
      expect(err).toBeInstanceOf(PermanentError);
      expect(err.message).toMatch(
        /^node group eks4-iad-nodes is CREATE_FAILED: AsgInstanceLaunchFailures: .*InsufficientInstanceCapacity/,
      );
      expect(err.hint).toMatch(/\/mesh up then deletes the failed node group and creates it again$/);
    } finally {
      cloud.faults.clear();
    }
    const again = await run(nodeGroupStep(deps, iad));
    expect(again.notes.some((n) => /^node group eks4-iad-nodes is CREATE_FAILED .*: deleting it/.test(n))).toBe(true);
    const ng = (
      await deps.aws
        .eks('us-east-1')
        .send(new DescribeNodegroupCommand({ clusterName: 'eks4-iad', nodegroupName: 'eks4-iad-nodes' }))
    ).nodegroup!;
    expect(ng.status).toBe('ACTIVE');
    expect(ng.scalingConfig?.desiredSize).toBe(3);
  });

  it('says which step must run first when the control plane has no subnets or role yet', async () => {
    const spec = meshSpec('eks2');
    const deps = testDeps(cloud.awsEndpoint, spec);
    const err = await runExpectingFailure(controlPlaneStep(deps, spec.clusters[0]!));
    expect((err as Error).message).toMatch(/not there yet|private subnets yet/);
  });
});

describe('status and down', () => {
  it('on an empty account: the plan says "will create" everywhere, status lines are absent, down has nothing to do', async () => {
    const spec = meshSpec('empty');
    const deps = testDeps(cloud.awsEndpoint, spec);
    const [iad, pdx] = [spec.clusters[0]!, spec.clusters[1]!];
    const up = sequential('up', 'up', [
      networkStep(deps, iad),
      networkStep(deps, pdx),
      iamStep(deps),
      peeringStep(deps, iad, pdx),
      controlPlaneStep(deps, iad),
      securityRulesStep(deps, iad),
      nodeGroupStep(deps, iad),
      scaleNodeGroupStep(deps, iad),
    ]);
    const observed = await observePlan(up, testContext());
    expect(
      leaves(up)
        .filter((l) => observed.get(l.id)?.state !== 'missing')
        .map((l) => `${l.id}: ${JSON.stringify(observed.get(l.id))}`),
    ).toEqual([]);

    const lines = await observeAws(deps, iad);
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.filter((l) => l.health !== 'absent')).toEqual([]);
    expect((await meshExists(deps)).summary).toBe('no mesh empty exists in us-east-1, us-west-2; run /mesh up');
    const plan = await planDownAws(deps);
    expect(leaves(plan)).toEqual([]);
  });

  it('builds two clusters, reports them, prices them, and down removes every tagged resource in both regions', async () => {
    const spec = meshSpec('full');
    // Endpoints closed to the spec's CIDRs and the NAT addresses: an open one is a status warning (issue 9, item 7).
    spec.publicAccessCidrs = ['203.0.113.0/24'];
    const deps = testDeps(cloud.awsEndpoint, spec);
    const [iad, pdx] = [spec.clusters[0]!, spec.clusters[1]!];
    const perCluster = (c: typeof iad, scale: boolean) =>
      sequential(`cluster/${c.name}`, c.name, [
        controlPlaneStep(deps, c),
        endpointAccessStep(deps, c),
        securityRulesStep(deps, c),
        nodeGroupStep(deps, c),
        ...(scale ? [scaleNodeGroupStep(deps, c)] : []),
      ]);
    // pdx's node group is made while its spec asks 0 nodes; the spec then asks 3, which status must flag.
    pdx.nodeGroup.desiredSize = 0;
    const up = await run(
      sequential('up', 'up', [
        parallel('base', 'networks and roles', [networkStep(deps, iad), networkStep(deps, pdx), iamStep(deps)]),
        peeringStep(deps, iad, pdx),
        parallel('clusters', 'clusters', [perCluster(iad, true), perCluster(pdx, false)]),
      ]),
    );
    // The waits talked while the cloud took its time.
    expect(up.notes.some((n) => /^EKS cluster full-iad: CREATING \(\d+s\)$/.test(n))).toBe(true);
    expect(up.notes.some((n) => /^NAT gateway nat-\w+ \(us-east-1a\): pending/.test(n))).toBe(true);
    expect(up.outcomes.get('cluster/iad/scale')!.summary).toBe('node group full-iad-nodes already at 3 nodes');
    pdx.nodeGroup.desiredSize = 3;

    // The mesh rules sit on the cluster security group EKS made.
    const sgId = up.outcomes.get('cluster/iad/security-rules')!.resources!.securityGroup!;
    expect(up.outcomes.get('cluster/iad/security-rules')!.summary).toContain('udp 4789 from 10.1.0.0/16 (pdx)');
    const sg = (await deps.aws.ec2('us-east-1').send(new DescribeSecurityGroupsCommand({ GroupIds: [sgId] })))
      .SecurityGroups![0]!;
    expect(
      sg.IpPermissions!.find((p) => p.IpProtocol === 'udp' && p.FromPort === 4789)?.IpRanges?.map((r) => r.CidrIp),
    ).toEqual(['10.1.0.0/16']);
    // Calico's 5443, 8080 and 30000 node to node go through EKS's own rule (all traffic from the group itself);
    // meshops adds no rule that duplicates it (issue 9, item 10): VXLAN and EKS's self rule are all there is.
    expect(
      sg.IpPermissions!.map((p) => [p.IpProtocol, p.FromPort ?? null, p.UserIdGroupPairs?.map((g) => g.GroupId)]),
    ).toEqual(
      expect.arrayContaining([
        ['-1', null, [sgId]],
        ['udp', 4789, []],
      ]),
    );
    expect(sg.IpPermissions!.filter((p) => p.IpProtocol === 'tcp')).toEqual([]);

    // A second up changes nothing, and its plan already says so.
    const iadUp = sequential('up', 'up', [networkStep(deps, iad), peeringStep(deps, iad, pdx), perCluster(iad, true)]);
    expect(nothingToDo(iadUp, await observePlan(iadUp, testContext()))).toBe(true);
    const again = await run(iadUp);
    expect([...again.outcomes.entries()].filter(([, o]) => o.changed).map(([id]) => id)).toEqual([]);

    const iadLines = await observeAws(deps, iad);
    expect(iadLines.filter((l) => l.health !== 'ok')).toEqual([]);
    const by = (s: RegExp) => iadLines.filter((l) => s.test(l.subject));
    expect(by(/^subnets$/)[0]!.detail).toContain('4/4');
    expect(by(/^NAT gateway nat-/).map((l) => l.health)).toEqual(['ok', 'ok']);
    expect(by(/^peering iad <-> pdx$/)[0]!.detail).toMatch(/pcx-\w+ is active/);
    expect(by(/^route table /)).toHaveLength(2);
    expect(by(/^VXLAN rule on sg-/)[0]!.detail).toBe('udp 4789 from 10.1.0.0/16 (pdx)');
    expect(by(/^EKS cluster full-iad$/)[0]!.detail).toContain('ACTIVE, Kubernetes 1.35');
    expect(by(/^node group full-iad-nodes$/)[0]!.detail).toContain('desired 3 (spec 3)');
    // pdx was made at 0 nodes and its spec now asks 3: a warning that says why.
    const pdxLines = await observeAws(deps, pdx);
    expect(pdxLines.find((l) => l.subject === 'node group full-pdx-nodes')).toMatchObject({
      health: 'warning',
      detail: expect.stringContaining('desired 0 (spec 3)'),
    });
    expect((await meshExists(deps)).exists).toBe(true);

    const cost = costOfObserved(await observeBilled(deps), await loadPrices());
    expect(cost.lines.map((l) => `${l.region} ${l.quantity} ${l.item}`).sort()).toEqual([
      'us-east-1 1 EKS control plane',
      'us-east-1 2 NAT gateway',
      'us-east-1 2 public IPv4 address',
      'us-east-1 3 100 GiB node volume',
      'us-east-1 3 m5.xlarge node',
      'us-west-2 1 EKS control plane',
      'us-west-2 2 NAT gateway',
      'us-west-2 2 public IPv4 address',
    ]);

    expect(await countTagged(deps, 'us-east-1', 'full')).toMatchObject({
      vpcs: 1,
      subnets: 4,
      igws: 1,
      nats: 2,
      addresses: 2,
      routeTables: 3,
      peerings: 1,
      clusters: 1,
      nodegroups: 1,
    });

    const plan = await planDownAws(deps);
    const ids = leaves(plan).map((l) => l.id);
    // Node groups before their cluster; NAT gateways before the Elastic IPs; the VPC last in its region.
    expect(ids.indexOf('down/aws/us-east-1/full-iad/nodegroups')).toBeLessThan(
      ids.indexOf('down/aws/us-east-1/full-iad/cluster'),
    );
    expect(ids.indexOf('down/aws/us-east-1/nat')).toBeLessThan(ids.indexOf('down/aws/us-east-1/eips'));
    expect(ids.at(-2)).toBe('down/aws/us-west-2/vpcs');
    expect(ids.at(-1)).toBe('down/aws/iam');
    const down = await run(plan);
    expect(down.outcomes.get('down/aws/us-west-2/full-pdx/cluster')!.summary).toBe(
      'us-west-2: deleted EKS cluster full-pdx',
    );
    expect(down.outcomes.get('down/aws/us-east-1/vpcs')!.summary).toMatch(/^us-east-1: deleted VPCs vpc-\w+$/);

    for (const region of ['us-east-1', 'us-west-2']) expect(await countTagged(deps, region, 'full')).toEqual(ZERO);
    expect(await countRoles(deps, 'full')).toBe(0);
    expect((await meshExists(deps)).exists).toBe(false);
    expect(leaves(await planDownAws(deps))).toEqual([]);
  });
  it('cleans up after an up cancelled right after CreateCluster (down waits out CREATING, then deletes)', async () => {
    const spec = meshSpec('cancel');
    const deps = testDeps(cloud.awsEndpoint, spec);
    const iad = spec.clusters[0]!;
    await run(sequential('base', 'base', [networkStep(deps, iad), iamStep(deps)]));
    const eks = deps.aws.eks('us-east-1');
    const report = await runPlan(sequential('up', 'up', [controlPlaneStep(deps, iad), nodeGroupStep(deps, iad)]), {
      signal: new AbortController().signal,
      log: deps.log,
      clock: deps.clock,
      // Cancel at the first safe point after the cluster exists: the create has been sent, nothing waited for.
      checkpoint: async () => {
        const list = await eks.send(new ListClustersCommand({}));
        if (list.clusters?.includes('cancel-iad')) throw new CancelledError();
      },
    });
    expect(report.ok).toBe(false);
    expect(report.failure!.error).toBeInstanceOf(CancelledError);
    expect((await eks.send(new DescribeClusterCommand({ name: 'cancel-iad' }))).cluster!.status).toBe('CREATING');

    await run(await planDownAws(deps));
    expect(await countTagged(deps, 'us-east-1', 'cancel')).toEqual(ZERO);
    expect(await countRoles(deps, 'cancel')).toBe(0);
  });
});

describe('down and the Elastic IPs', () => {
  it('releases the addresses although AWS answers AuthFailure for a while after their NAT gateways are deleted', async () => {
    // A network with no cluster yet (an up stopped early): nothing else to delete waits out the address's lag.
    const spec = meshSpec('eiplag');
    const deps = testDeps(cloud.awsEndpoint, spec);
    await run(networkStep(deps, spec.clusters[0]!));
    const down = await run(await planDownAws(deps));
    expect(down.outcomes.get('down/aws/us-east-1/eips')!.summary).toMatch(/^us-east-1: deleted Elastic IPs eipalloc-/);
    expect(await countTagged(deps, 'us-east-1', 'eiplag')).toEqual(ZERO);
  });
});

describe('faults', () => {
  it('stops with a PermanentError naming the permission when an action is denied', async () => {
    const spec = meshSpec('denied');
    const deps = testDeps(cloud.awsEndpoint, spec);
    cloud.faults.deny(['ec2:CreateNatGateway']);
    try {
      const err = await runExpectingFailure(networkStep(deps, spec.clusters[0]!));
      expect(err).toBeInstanceOf(PermanentError);
      expect((err as PermanentError).code).toBe('UnauthorizedOperation');
      expect((err as PermanentError).hint).toMatch(/^grant ec2:CreateNatGateway /);
    } finally {
      cloud.faults.clear();
    }
    await run(await planDownAws(deps));
    expect(await countTagged(deps, 'us-east-1', 'denied')).toEqual(ZERO);
  });

  it('rides through throttling and server errors on a share of calls (the SDK retries with backoff)', async () => {
    // EC2 calls of one network build, except the NAT wait's polls (their number depends on timing).
    const ec2Calls = () =>
      Object.entries(cloud.calls.counts())
        .filter(([k]) => k.startsWith('ec2:') && k !== 'ec2:DescribeNatGateways')
        .reduce((n, [, v]) => n + v, 0);
    const steady = meshSpec('steady');
    cloud.calls.reset();
    await run(networkStep(testDeps(cloud.awsEndpoint, steady), steady.clusters[0]!));
    const baseline = ec2Calls();

    const spec = meshSpec('flaky');
    const deps = testDeps(cloud.awsEndpoint, spec, { maxAttempts: 8 });
    cloud.faults.add({ service: 'ec2', rate: 0.08, kind: 'throttle' });
    cloud.faults.add({ service: 'ec2', rate: 0.05, kind: '5xx' });
    cloud.calls.reset();
    try {
      await run(networkStep(deps, spec.clusters[0]!));
    } finally {
      cloud.faults.clear();
    }
    // Some calls were answered with faults and sent again (about 1 in 8 of ~50 calls; none at all is ~0.1 %).
    expect(ec2Calls()).toBeGreaterThan(baseline);
    expect(await countTagged(deps, 'us-east-1', 'flaky')).toMatchObject({
      vpcs: 1,
      subnets: 4,
      igws: 1,
      nats: 2,
      addresses: 2,
      routeTables: 3,
    });
  });
});

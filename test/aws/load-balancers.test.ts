// What meshops did not create also blocks a VPC: a Service of type LoadBalancer makes, through the AWS Load
// Balancer Controller, a network load balancer and its security group in the cluster's VPC, and both outlive the
// cluster; EC2 refuses the VPC's subnets, the group and the VPC while they exist. Down deletes the Services first
// and waits for their controller; what a cluster already gone left, it deletes itself.
import { DeleteSubnetCommand, DeleteVpcCommand, DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand, DescribeTagsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { planFromInventory } from '../../jobs/down/aws.ts';
import { planDownKube } from '../../jobs/down/kube.ts';
import { controlPlaneStep } from '../../jobs/up/aws/eks.ts';
import { iamStep } from '../../jobs/up/aws/iam.ts';
import { networkStep } from '../../jobs/up/aws/network.ts';
import { type Cloud, startCloud } from '../../sandbox/cloud.ts';
import type { MeshSpec } from '../../src/config/spec-types.ts';
import type { Deps } from '../../src/deps.ts';
import { makeKubeAccess } from '../../src/kube/access.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { findMesh } from '../../src/mesh/aws/inventory.ts';
import { parallel, sequential } from '../../src/steps/step.ts';
import { countTagged, ZERO } from './count.ts';
import { meshSpec, run, TEST_CREDENTIALS, testDeps } from './harness.ts';

let cloud: Cloud;
beforeAll(async () => {
  cloud = await startCloud({ profile: 'fast' });
}, 120_000);
afterAll(async () => {
  await cloud?.stop();
});

function depsWithKube(spec: MeshSpec): Deps {
  const deps = testDeps(cloud.awsEndpoint, spec);
  return {
    ...deps,
    kube: makeKubeAccess(deps.aws, spec, { credentials: TEST_CREDENTIALS, stsEndpoint: cloud.awsEndpoint }),
  };
}

/** One cluster of the spec, up to its control plane, with a LoadBalancer Service applied in it. */
async function clusterWithLoadBalancer(deps: Deps): Promise<{ vpcId: string; groupId: string; lbName: string }> {
  const iad = deps.spec.clusters[0]!;
  await run(
    sequential('up', 'up', [
      parallel('base', 'base', [networkStep(deps, iad), iamStep(deps)]),
      controlPlaneStep(deps, iad),
    ]),
  );
  const kube = new KubeClient(await deps.kube.forCluster(iad));
  await kube.apply({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default' },
    spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80 }] },
  });
  const elb = deps.aws.elbv2(iad.region);
  const eksName = `${deps.spec.name}-${iad.name}`;
  // The controller provisions it a moment later, tagged as the AWS Load Balancer Controller tags its stack.
  const lb = await vi.waitFor(
    async () => {
      const all = (await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? [];
      const tags = all.length
        ? ((await elb.send(new DescribeTagsCommand({ ResourceArns: all.map((l) => l.LoadBalancerArn!) })))
            .TagDescriptions ?? [])
        : [];
      const ours = tags.find((d) => d.Tags?.some((t) => t.Key === 'elbv2.k8s.aws/cluster' && t.Value === eksName));
      if (!ours) throw new Error('no load balancer yet');
      expect(ours.Tags).toContainEqual({ Key: 'service.k8s.aws/stack', Value: 'default/web' });
      return all.find((l) => l.LoadBalancerArn === ours.ResourceArn)!;
    },
    { timeout: 30_000, interval: 200 },
  );
  const groupId = lb.SecurityGroups![0]!;
  const ec2 = deps.aws.ec2(iad.region);
  const group = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }))).SecurityGroups![0]!;
  expect(group.VpcId).toBe(lb.VpcId);
  expect(group.Tags).toContainEqual({ Key: 'elbv2.k8s.aws/cluster', Value: eksName });
  // As EC2 does: the VPC and the subnets the load balancer sits in cannot go while it exists.
  await expect(ec2.send(new DeleteVpcCommand({ VpcId: lb.VpcId! }))).rejects.toThrow(/dependencies/);
  const subnetId = lb.AvailabilityZones![0]!.SubnetId!;
  await expect(ec2.send(new DeleteSubnetCommand({ SubnetId: subnetId }))).rejects.toThrow(/dependencies/);
  return { vpcId: lb.VpcId!, groupId, lbName: lb.LoadBalancerName! };
}

const liveLoadBalancers = async (deps: Deps) =>
  ((await deps.aws.elbv2('us-east-1').send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? []).filter((l) =>
    l.LoadBalancerName?.startsWith('k8s-'),
  );

describe('load balancers left by LoadBalancer Services', () => {
  it('down deletes the Service, waits for its controller to remove the load balancer and group, then the VPC', async () => {
    const spec = meshSpec('lbs');
    spec.clusters = [spec.clusters[0]!];
    const deps = depsWithKube(spec);
    const { lbName } = await clusterWithLoadBalancer(deps);

    // As down does: both halves planned from what exists, Kubernetes first.
    const [kubePlan, inv] = await Promise.all([planDownKube(deps), findMesh(deps)]);
    expect(inv.regions[0]!.loadBalancers.map((l) => l.name)).toEqual([lbName]);
    const down = await run(sequential('down', 'down', [kubePlan, planFromInventory(deps, inv)]));
    expect(down.outcomes.get('down/iad/kube')!.summary).toMatch(/deleted .*1 Service/);
    expect(await liveLoadBalancers(deps)).toEqual([]);
    expect(await countTagged(deps, 'us-east-1', 'lbs')).toEqual(ZERO);
    expect(isEmptyAfter(await findMesh(deps))).toBe(true);
  }, 180_000);

  it('a load balancer whose cluster is gone (no controller left to clean up) is deleted by down itself', async () => {
    const spec = meshSpec('lbleft');
    spec.clusters = [spec.clusters[0]!];
    const deps = depsWithKube(spec);
    const { lbName } = await clusterWithLoadBalancer(deps);
    // Only the AWS half: the cluster goes with its Service still there, as after a cluster deleted by hand.
    const inv = await findMesh(deps);
    const down = await run(planFromInventory(deps, inv));
    expect(down.outcomes.get('down/aws/us-east-1/load-balancers')!.summary).toBe(
      `us-east-1: deleted load balancers ${lbName}`,
    );
    expect(await liveLoadBalancers(deps)).toEqual([]);
    expect(await countTagged(deps, 'us-east-1', 'lbleft')).toEqual(ZERO);
  }, 180_000);
});

function isEmptyAfter(inv: Awaited<ReturnType<typeof findMesh>>): boolean {
  return inv.regions.every((r) => r.vpcs.length === 0 && r.loadBalancers.length === 0 && r.securityGroups.length === 0);
}

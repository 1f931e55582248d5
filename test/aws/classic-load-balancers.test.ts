// Without the AWS Load Balancer Controller, a Service of type LoadBalancer on EKS gets a Classic ELB from the
// in-tree cloud provider (ELB API, not ELBv2), tagged `kubernetes.io/cluster/<cluster>: owned` and
// `kubernetes.io/service-name: <ns>/<name>`, with a `k8s-elb-<name>` security group in the cluster's VPC. Both
// outlive the cluster and block its VPC. Down deletes the Service and waits for the in-tree controller; what a
// cluster already gone left, down finds by those tags and deletes itself.
import {
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeSecurityGroupsCommand,
} from '@aws-sdk/client-ec2';
import {
  DeleteLoadBalancerCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  ElasticLoadBalancingClient,
  type LoadBalancerDescription,
} from '@aws-sdk/client-elastic-load-balancing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { planFromInventory } from '../../jobs/down/aws.ts';
import { renderInventory } from '../../jobs/down/index.ts';
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
import { meshSpec, run, runExpectingFailure, TEST_CREDENTIALS, testDeps } from './harness.ts';

let cloud: Cloud;
let elb: ElasticLoadBalancingClient;
beforeAll(async () => {
  cloud = await startCloud({ profile: 'fast', loadBalancerController: false });
  elb = new ElasticLoadBalancingClient({
    region: 'us-east-1',
    endpoint: cloud.awsEndpoint,
    credentials: TEST_CREDENTIALS,
  });
}, 120_000);
afterAll(async () => {
  elb?.destroy();
  await cloud?.stop();
});

function depsWithKube(spec: MeshSpec): Deps {
  const deps = testDeps(cloud.awsEndpoint, spec);
  return {
    ...deps,
    kube: makeKubeAccess(deps.aws, spec, { credentials: TEST_CREDENTIALS, stsEndpoint: cloud.awsEndpoint }),
  };
}

const classicOf = async (eksName: string): Promise<LoadBalancerDescription[]> => {
  const all = (await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancerDescriptions ?? [];
  if (!all.length) return [];
  const tags = await elb.send(new DescribeTagsCommand({ LoadBalancerNames: all.map((l) => l.LoadBalancerName!) }));
  const ours = (tags.TagDescriptions ?? []).filter((d) =>
    d.Tags?.some((t) => t.Key === `kubernetes.io/cluster/${eksName}` && t.Value === 'owned'),
  );
  return all.filter((l) => ours.some((d) => d.LoadBalancerName === l.LoadBalancerName));
};

/** One cluster up to its control plane, with a plain LoadBalancer Service (no class, no annotations) in it. */
async function clusterWithClassicElb(deps: Deps): Promise<{ vpcId: string; groupId: string; lbName: string }> {
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
  const eksName = `${deps.spec.name}-${iad.name}`;
  const lb = await vi.waitFor(
    async () => {
      const [found] = await classicOf(eksName);
      if (!found) throw new Error('no Classic ELB yet');
      return found;
    },
    { timeout: 30_000, interval: 200 },
  );
  // The in-tree provider's names and tags (cloud-provider-aws aws.go, aws_loadbalancer.go, tags.go).
  expect(lb.LoadBalancerName).toMatch(/^a[0-9a-f]{31}$/);
  const tags = (await elb.send(new DescribeTagsCommand({ LoadBalancerNames: [lb.LoadBalancerName!] })))
    .TagDescriptions![0]!.Tags;
  expect(tags).toContainEqual({ Key: 'kubernetes.io/service-name', Value: 'default/web' });
  const groupId = lb.SecurityGroups![0]!;
  const ec2 = deps.aws.ec2(iad.region);
  const group = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }))).SecurityGroups![0]!;
  expect(group.GroupName).toBe(`k8s-elb-${lb.LoadBalancerName}`);
  expect(group.VpcId).toBe(lb.VPCId);
  expect(group.Tags).toContainEqual({ Key: `kubernetes.io/cluster/${eksName}`, Value: 'owned' });
  // As EC2 does: the VPC and the subnets the load balancer sits in cannot go while it exists.
  await expect(ec2.send(new DeleteVpcCommand({ VpcId: lb.VPCId! }))).rejects.toThrow(/dependencies/);
  await expect(ec2.send(new DeleteSubnetCommand({ SubnetId: lb.Subnets![0]! }))).rejects.toThrow(/dependencies/);
  return { vpcId: lb.VPCId!, groupId, lbName: lb.LoadBalancerName! };
}

describe('Classic ELBs the in-tree cloud provider made for LoadBalancer Services', () => {
  it('down deletes the Service, waits for the in-tree controller to remove the ELB and its group, then the VPC', async () => {
    const spec = meshSpec('clb');
    spec.clusters = [spec.clusters[0]!];
    const deps = depsWithKube(spec);
    const { lbName } = await clusterWithClassicElb(deps);

    const [kubePlan, inv] = await Promise.all([planDownKube(deps), findMesh(deps)]);
    expect(inv.regions[0]!.loadBalancers.map((l) => `${l.name} ${l.type}`)).toEqual([`${lbName} classic`]);
    const kubeDown = await run(kubePlan);
    expect(kubeDown.outcomes.get('down/iad/kube')!.summary).toMatch(/deleted .*1 Service/);
    // The wait covered the Classic ELB: the in-tree controller deleted it before the AWS part starts.
    expect(kubeDown.outcomes.get('down/iad/kube')!.summary).not.toMatch(/still there/);
    expect(await classicOf('clb-iad')).toEqual([]);
    await run(planFromInventory(deps, inv));
    expect(await countTagged(deps, 'us-east-1', 'clb')).toEqual(ZERO);
    const after = await findMesh(deps);
    expect(after.regions[0]!.vpcs).toEqual([]);
  }, 180_000);

  it('a Classic ELB whose cluster is gone is listed in the confirmation, deleted by down, and its group and VPC go', async () => {
    const spec = meshSpec('clbleft');
    spec.clusters = [spec.clusters[0]!];
    const deps = depsWithKube(spec);
    const { lbName, groupId, vpcId } = await clusterWithClassicElb(deps);
    // Only the AWS half: the cluster goes with its Service still there, as after a cluster deleted by hand.
    const inv = await findMesh(deps);
    expect(renderInventory(inv)).toContain(
      `1 load balancer(s) left by Kubernetes Services (${lbName} (classic, clbleft-iad))`,
    );
    expect(inv.regions[0]!.securityGroups).toContain(groupId);
    const down = await run(planFromInventory(deps, inv));
    expect(down.outcomes.get('down/aws/us-east-1/load-balancers')!.summary).toBe(
      `us-east-1: deleted load balancers ${lbName}`,
    );
    expect(await classicOf('clbleft-iad')).toEqual([]);
    const ec2 = deps.aws.ec2('us-east-1');
    await expect(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] }))).rejects.toThrow();
    expect((await findMesh(deps)).regions[0]!.vpcs).not.toContain(vpcId);
    expect(await countTagged(deps, 'us-east-1', 'clbleft')).toEqual(ZERO);
  }, 180_000);

  it('one down cannot delete is named in the failure, with its cluster and why; the next down finishes', async () => {
    const spec = meshSpec('clbdeny');
    spec.clusters = [spec.clusters[0]!];
    const deps = depsWithKube(spec);
    const { lbName } = await clusterWithClassicElb(deps);
    cloud.faults.deny(['elasticloadbalancing:DeleteLoadBalancer']);
    try {
      const err = (await runExpectingFailure(planFromInventory(deps, await findMesh(deps)))) as Error;
      expect(err.message).toContain(`us-east-1: could not delete load balancers ${lbName} (classic, clbdeny-iad):`);
      expect(err.message).toMatch(/AccessDenied/);
    } finally {
      cloud.faults.clear();
    }
    expect((await classicOf('clbdeny-iad')).map((l) => l.LoadBalancerName)).toEqual([lbName]);
    await run(planFromInventory(deps, await findMesh(deps)));
    expect(await classicOf('clbdeny-iad')).toEqual([]);
    expect(await countTagged(deps, 'us-east-1', 'clbdeny')).toEqual(ZERO);
  }, 180_000);

  it("a deleted ELB's interfaces hold its group and subnets a while longer; down waits that out", async () => {
    const spec = meshSpec('clblinger');
    spec.clusters = [spec.clusters[0]!];
    const deps = depsWithKube(spec);
    const { lbName, groupId } = await clusterWithClassicElb(deps);
    const ec2 = deps.aws.ec2('us-east-1');
    const [lb] = await classicOf('clblinger-iad');
    // The timeline held: the interfaces cannot finish going while the sandbox is looked at.
    cloud.gateway.timeline.hold();
    try {
      await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerName: lbName }));
      expect(await classicOf('clblinger-iad')).toEqual([]);
      await expect(ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId }))).rejects.toThrow(/dependent object/);
      await expect(ec2.send(new DeleteSubnetCommand({ SubnetId: lb!.Subnets![0]! }))).rejects.toThrow(/dependencies/);
    } finally {
      cloud.gateway.timeline.release();
    }
    await run(planFromInventory(deps, await findMesh(deps)));
    expect(await countTagged(deps, 'us-east-1', 'clblinger')).toEqual(ZERO);
  }, 180_000);
});

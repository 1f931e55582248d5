// Without the AWS Load Balancer Controller, a LoadBalancer Service annotated
// `service.beta.kubernetes.io/aws-load-balancer-type: nlb` gets an ELBv2 network load balancer from the in-tree
// cloud provider (not a Classic ELB): named `a` + the Service's UID, tagged `kubernetes.io/cluster/<cluster>:
// owned` and `kubernetes.io/service-name: <ns>/<name>`, with a `k8s-...` target group per port tagged the same,
// and its node ports opened in the nodes' security group (no group of its own). The load balancer outlives a
// cluster deleted first and blocks the VPC; its target groups stay after it unless someone deletes them.
import { DeleteSubnetCommand, DeleteVpcCommand, DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import {
  DeleteLoadBalancerCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  type LoadBalancer,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { planFromInventory } from '../../jobs/down/aws.ts';
import { costBeforeDown, loadBalancerCostNote, renderInventory } from '../../jobs/down/index.ts';
import { controlPlaneStep } from '../../jobs/up/aws/eks.ts';
import { iamStep } from '../../jobs/up/aws/iam.ts';
import { networkStep } from '../../jobs/up/aws/network.ts';
import { type Cloud, startCloud } from '../../sandbox/cloud.ts';
import type { MeshSpec } from '../../src/config/spec-types.ts';
import { loadPrices } from '../../src/cost.ts';
import type { Deps } from '../../src/deps.ts';
import { makeKubeAccess } from '../../src/kube/access.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { findBilled } from '../../src/mesh/aws/billed.ts';
import { findMesh } from '../../src/mesh/aws/inventory.ts';
import { parallel, sequential } from '../../src/steps/step.ts';
import { countTagged, ZERO } from './count.ts';
import { meshSpec, run, runExpectingFailure, TEST_CREDENTIALS, testDeps } from './harness.ts';

let cloud: Cloud;
let elb: ElasticLoadBalancingV2Client;
beforeAll(async () => {
  cloud = await startCloud({ profile: 'fast', loadBalancerController: false });
  elb = new ElasticLoadBalancingV2Client({
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

/** ELBv2 resources (load balancers or target groups) whose tags name this EKS cluster as owner, by ARN. */
async function ownedArns(arns: string[], eksName: string): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < arns.length; i += 20) {
    const tags = await elb.send(new DescribeTagsCommand({ ResourceArns: arns.slice(i, i + 20) }));
    for (const d of tags.TagDescriptions ?? []) {
      if (d.Tags?.some((t) => t.Key === `kubernetes.io/cluster/${eksName}` && t.Value === 'owned'))
        out.push(d.ResourceArn!);
    }
  }
  return out;
}

const nlbsOf = async (eksName: string): Promise<LoadBalancer[]> => {
  const all = (await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? [];
  const owned = await ownedArns(
    all.map((l) => l.LoadBalancerArn!),
    eksName,
  );
  return all.filter((l) => owned.includes(l.LoadBalancerArn!));
};

const targetGroupsOf = async (eksName: string): Promise<string[]> => {
  const all = (await elb.send(new DescribeTargetGroupsCommand({}))).TargetGroups ?? [];
  return ownedArns(
    all.map((t) => t.TargetGroupArn!),
    eksName,
  );
};

/** One cluster up to its control plane, with a LoadBalancer Service annotated for the in-tree NLB. */
async function clusterWithInTreeNlb(deps: Deps): Promise<{ lb: LoadBalancer; eksName: string }> {
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
    metadata: {
      name: 'web',
      namespace: 'default',
      annotations: { 'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb' },
    },
    spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ port: 80 }, { port: 443 }] },
  });
  const eksName = `${deps.spec.name}-${iad.name}`;
  const lb = await vi.waitFor(
    async () => {
      const [found] = await nlbsOf(eksName);
      if (!found) throw new Error('no NLB yet');
      if ((await targetGroupsOf(eksName)).length < 2) throw new Error('target groups not all there yet');
      return found;
    },
    { timeout: 30_000, interval: 200 },
  );
  // The in-tree provider's NLB (cloud-provider-aws aws_loadbalancer.go): ELBv2, the Classic ELB's name, no group.
  expect(lb.Type).toBe('network');
  expect(lb.LoadBalancerName).toMatch(/^a[0-9a-f]{31}$/);
  expect(lb.SecurityGroups ?? []).toEqual([]);
  const tags = (await elb.send(new DescribeTagsCommand({ ResourceArns: [lb.LoadBalancerArn!] }))).TagDescriptions![0]!
    .Tags;
  expect(tags).toContainEqual({ Key: 'kubernetes.io/service-name', Value: 'default/web' });
  const groups = (await elb.send(new DescribeTargetGroupsCommand({ LoadBalancerArn: lb.LoadBalancerArn })))
    .TargetGroups!;
  expect(groups.map((g) => g.TargetGroupName)).toEqual([
    expect.stringMatching(/^k8s-default-web-[0-9a-f]{10}$/),
    expect.stringMatching(/^k8s-default-web-[0-9a-f]{10}$/),
  ]);
  // Its node ports are opened in the nodes' (here the EKS cluster's) security group, described by its name.
  const ec2 = deps.aws.ec2(iad.region);
  const described = await ec2.send(
    new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [lb.VpcId!] }] }),
  );
  const rules = (described.SecurityGroups ?? []).flatMap((g) => g.IpPermissions ?? []);
  expect(
    rules.some((r) =>
      r.IpRanges?.some((x) => x.Description === `kubernetes.io/rule/nlb/client=${lb.LoadBalancerName}`),
    ),
  ).toBe(true);
  // As EC2 does: the VPC and the subnets the load balancer sits in cannot go while it exists.
  await expect(ec2.send(new DeleteVpcCommand({ VpcId: lb.VpcId! }))).rejects.toThrow(/dependencies/);
  const subnet = lb.AvailabilityZones![0]!.SubnetId!;
  await expect(ec2.send(new DeleteSubnetCommand({ SubnetId: subnet }))).rejects.toThrow(/dependencies/);
  return { lb, eksName };
}

describe('the in-tree NLB of a LoadBalancer Service (aws-load-balancer-type: nlb, no controller)', () => {
  it('one whose cluster is gone is listed in the confirmation; down deletes it and its target groups, then the VPC', async () => {
    const spec = meshSpec('nlbleft');
    spec.clusters = [spec.clusters[0]!];
    const deps = depsWithKube(spec);
    const { lb, eksName } = await clusterWithInTreeNlb(deps);
    // Only the AWS half: the cluster goes with its Service still there, as after a cluster deleted by hand.
    const inv = await findMesh(deps);
    expect(renderInventory(inv)).toContain(
      `load balancer(s) left by Kubernetes Services (${lb.LoadBalancerName} (network, ${eksName}))`,
    );
    // The confirmation's hourly cost holds it, at the NLB's hourly price, and says what that leaves out.
    const cost = costBeforeDown(await findBilled(deps), inv, await loadPrices());
    expect(cost.lines).toContainEqual({
      region: 'us-east-1',
      item: 'network load balancer',
      quantity: 1,
      unitHourly: 0.0225,
      hourly: 0.0225,
    });
    expect(loadBalancerCostNote(cost)).toMatch(/\$0\.0225\/hour is 1 load balancer.*LCU\/NLCU.*not included/);
    const down = await run(planFromInventory(deps, inv));
    expect(down.outcomes.get('down/aws/us-east-1/load-balancers')!.summary).toContain(
      `us-east-1: deleted load balancers ${lb.LoadBalancerName}`,
    );
    expect(await nlbsOf(eksName)).toEqual([]);
    // ELBv2 keeps a deleted load balancer's target groups; down deletes those the cluster's provider tagged.
    expect(await targetGroupsOf(eksName)).toEqual([]);
    expect((await findMesh(deps)).regions[0]!.vpcs).not.toContain(lb.VpcId);
    expect(await countTagged(deps, 'us-east-1', 'nlbleft')).toEqual(ZERO);
  }, 180_000);

  it("a deleted NLB's interfaces hold its subnets a while; target groups left without one are deleted too", async () => {
    const spec = meshSpec('nlblinger');
    spec.clusters = [spec.clusters[0]!];
    const deps = depsWithKube(spec);
    const { lb, eksName } = await clusterWithInTreeNlb(deps);
    const ec2 = deps.aws.ec2('us-east-1');
    cloud.gateway.timeline.hold();
    try {
      await elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb.LoadBalancerArn! }));
      expect(await nlbsOf(eksName)).toEqual([]);
      const subnet = lb.AvailabilityZones![0]!.SubnetId!;
      await expect(ec2.send(new DeleteSubnetCommand({ SubnetId: subnet }))).rejects.toThrow(/dependencies/);
    } finally {
      cloud.gateway.timeline.release();
    }
    expect(await targetGroupsOf(eksName)).toHaveLength(2);
    const inv = await findMesh(deps);
    expect(renderInventory(inv)).toMatch(/2 target group\(s\) left by Kubernetes Services \(k8s-default-web-/);
    await run(planFromInventory(deps, inv));
    expect(await targetGroupsOf(eksName)).toEqual([]);
    expect(await countTagged(deps, 'us-east-1', 'nlblinger')).toEqual(ZERO);
  }, 180_000);

  it('a target group down cannot delete is named with AWS reason; the next down finishes', async () => {
    const spec = meshSpec('nlbdeny');
    spec.clusters = [spec.clusters[0]!];
    const deps = depsWithKube(spec);
    const { eksName } = await clusterWithInTreeNlb(deps);
    cloud.faults.deny(['elasticloadbalancing:DeleteTargetGroup']);
    try {
      const err = (await runExpectingFailure(planFromInventory(deps, await findMesh(deps)))) as Error;
      expect(err.message).toMatch(
        /us-east-1: could not delete target groups k8s-default-web-[0-9a-f]{10} \(nlbdeny-iad\): .*AccessDenied/,
      );
    } finally {
      cloud.faults.clear();
    }
    expect(await nlbsOf(eksName)).toEqual([]);
    expect(await targetGroupsOf(eksName)).toHaveLength(2);
    await run(planFromInventory(deps, await findMesh(deps)));
    expect(await targetGroupsOf(eksName)).toEqual([]);
    expect(await countTagged(deps, 'us-east-1', 'nlbdeny')).toEqual(ZERO);
  }, 180_000);
});

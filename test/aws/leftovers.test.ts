// What meshops did not create also blocks a VPC: with GuardDuty's EKS runtime monitoring on, every EKS VPC gets
// a VPC endpoint and a GuardDutyManaged security group. Down removes them and leaves nothing behind.
import { DescribeVpcEndpointsCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planFromInventory } from '../../jobs/down/aws.ts';
import { controlPlaneStep } from '../../jobs/up/aws/eks.ts';
import { iamStep } from '../../jobs/up/aws/iam.ts';
import { networkStep } from '../../jobs/up/aws/network.ts';
import { type Cloud, startCloud } from '../../sandbox/cloud.ts';
import type { ClusterHost } from '../../sandbox/contracts.ts';
import { findMesh } from '../../src/mesh/aws/inventory.ts';
import { parallel, sequential } from '../../src/steps/step.ts';
import { countTagged, ZERO } from './count.ts';
import { meshSpec, run, testDeps } from './harness.ts';

const noKubernetes: ClusterHost = {
  startCluster: async () => ({ endpoint: 'https://127.0.0.1:9', caPem: '' }),
  stopCluster: async () => {},
  setNodeGroup: () => {},
  deleteNodeGroup: () => {},
};

let cloud: Cloud;
beforeAll(async () => {
  cloud = await startCloud({ profile: 'fast', clusterHost: noKubernetes, guardDuty: true });
});
afterAll(async () => {
  await cloud?.stop();
});

describe('leftovers GuardDuty puts into an EKS VPC', () => {
  it('down deletes the VPC endpoint and the GuardDutyManaged group, then the VPC', async () => {
    const spec = meshSpec('gd');
    const deps = testDeps(cloud.awsEndpoint, spec);
    const iad = spec.clusters[0]!;
    await run(
      sequential('up', 'up', [
        parallel('base', 'base', [networkStep(deps, iad), iamStep(deps)]),
        controlPlaneStep(deps, iad),
      ]),
    );
    const ec2 = deps.aws.ec2('us-east-1');
    const vpcId = (await findMesh(deps)).regions.find((r) => r.region === 'us-east-1')!.vpcs[0]!;
    // GuardDuty adds its endpoint shortly after the cluster is ACTIVE.
    const endpointsOf = async () =>
      (await ec2.send(new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] })))
        .VpcEndpoints ?? [];
    const deadline = Date.now() + 20_000;
    while ((await endpointsOf()).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect((await endpointsOf()).map((e) => e.ServiceName)).toEqual(['com.amazonaws.us-east-1.guardduty-data']);

    const down = await run(planFromInventory(deps, await findMesh(deps)));
    expect(down.outcomes.get('down/aws/us-east-1/vpc-endpoints')!.summary).toMatch(
      /^us-east-1: deleted VPC endpoints vpce-/,
    );
    expect(await countTagged(deps, 'us-east-1', 'gd')).toEqual(ZERO);
    // A deleted endpoint stays listed for a while, as `deleted`.
    expect((await endpointsOf()).filter((e) => String(e.State).toLowerCase() !== 'deleted')).toEqual([]);
  });
});

// EC2 as it behaves on a real account: a new resource answers NotFound by ID for a moment after its create, and
// an answer can be lost after the work was done (the SDK's retry then makes a second copy).
import { DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iamStep } from '../../jobs/up/aws/iam.ts';
import { networkStep } from '../../jobs/up/aws/network.ts';
import { peeringStep } from '../../jobs/up/aws/peering.ts';
import { type Cloud, startCloud } from '../../sandbox/cloud.ts';
import type { ClusterHost } from '../../sandbox/contracts.ts';
import { parallel, sequential } from '../../src/steps/step.ts';
import { countTagged } from './count.ts';
import { meshSpec, run, testDeps } from './harness.ts';

const noKubernetes: ClusterHost = {
  startCluster: async () => ({ endpoint: 'https://127.0.0.1:9', caPem: '' }),
  stopCluster: async () => {},
  setNodeGroup: () => {},
  deleteNodeGroup: () => {},
};

let cloud: Cloud;
beforeAll(async () => {
  cloud = await startCloud({ profile: 'fast', clusterHost: noKubernetes, consistencyLagMs: 1_500 });
});
afterAll(async () => {
  await cloud?.stop();
});

describe('eventual consistency', () => {
  it('rides out NotFound right after each create inside the step: the networks and the peering are built', async () => {
    const spec = meshSpec('lag');
    const deps = testDeps(cloud.awsEndpoint, spec);
    const [iad, pdx] = [spec.clusters[0]!, spec.clusters[1]!];
    await run(
      sequential('up', 'up', [
        parallel('base', 'base', [networkStep(deps, iad), networkStep(deps, pdx), iamStep(deps)]),
        peeringStep(deps, iad, pdx),
      ]),
    );
    expect(await countTagged(deps, 'us-east-1', 'lag')).toMatchObject({
      vpcs: 1,
      subnets: 4,
      igws: 1,
      nats: 2,
      addresses: 2,
      routeTables: 3,
      peerings: 1,
    });
  });
});

describe('a lost answer', () => {
  it('a CreateVpc whose answer was lost leaves no second VPC: the copy is found by its tag, removed and reported', async () => {
    const spec = meshSpec('dup');
    const deps = testDeps(cloud.awsEndpoint, spec);
    cloud.faults.add({ service: 'ec2', rate: 1, kind: 'lost', actions: ['CreateVpc'], times: 1 });
    let ran: Awaited<ReturnType<typeof run>> | undefined;
    try {
      ran = await run(networkStep(deps, spec.clusters[0]!));
    } finally {
      cloud.faults.clear();
    }
    const vpcs = await deps.aws
      .ec2('us-east-1')
      .send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:meshops:mesh', Values: ['dup'] }] }));
    expect(vpcs.Vpcs).toHaveLength(1);
    expect(ran!.outcomes.get('network/iad/vpc')!.summary).toMatch(
      /removed a duplicate VPC vpc-\w+ \(a retried CreateVpc made it\)/,
    );
  });

  it('CreateInternetGateway, AllocateAddress and CreateVpcPeeringConnection answers lost: each copy is found by its tag, removed and reported', async () => {
    const spec = meshSpec('dup3');
    const deps = testDeps(cloud.awsEndpoint, spec);
    const [iad, pdx] = [spec.clusters[0]!, spec.clusters[1]!];
    for (const action of ['CreateInternetGateway', 'AllocateAddress', 'CreateVpcPeeringConnection']) {
      cloud.faults.add({ service: 'ec2', rate: 1, kind: 'lost', actions: [action], times: 1 });
    }
    let ran: Awaited<ReturnType<typeof run>> | undefined;
    try {
      ran = await run(
        sequential('up', 'up', [
          parallel('base', 'base', [networkStep(deps, iad), networkStep(deps, pdx)]),
          peeringStep(deps, iad, pdx),
        ]),
      );
    } finally {
      cloud.faults.clear();
    }
    // Each lost answer was retried by the SDK and made a second copy; none is left.
    const [east, west] = await Promise.all([
      countTagged(deps, 'us-east-1', 'dup3'),
      countTagged(deps, 'us-west-2', 'dup3'),
    ]);
    expect(east.igws + west.igws).toBe(2);
    expect(east.addresses + west.addresses).toBe(4);
    expect(east.peerings).toBe(1);
    const said = [...ran!.outcomes.values()].map((o) => o.summary).join('\n');
    expect(said).toMatch(/removed a duplicate internet gateway igw-\w+ \(a retried CreateInternetGateway made it\)/);
    expect(said).toMatch(/released a duplicate Elastic IP eipalloc-\w+ \(a retried AllocateAddress made it\)/);
    expect(said).toMatch(/removed a duplicate VPC peering pcx-\w+ \(a retried CreateVpcPeeringConnection made it\)/);
  });
});

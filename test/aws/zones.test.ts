// Zones by zone ID, on an account whose us-east-1a is use1-az3 (EKS refuses cluster subnets there, and it offers
// no m5.xlarge): the network lands in zones EKS and the instance type accept, and the control plane is created.
import { DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlPlaneStep } from '../../jobs/up/aws/eks.ts';
import { iamStep } from '../../jobs/up/aws/iam.ts';
import { networkStep } from '../../jobs/up/aws/network.ts';
import { parseZoneMapping } from '../../sandbox/aws/ec2-zones.ts';
import { type Cloud, startCloud } from '../../sandbox/cloud.ts';
import type { ClusterHost } from '../../sandbox/contracts.ts';
import { PermanentError } from '../../src/errors.ts';
import { sequential } from '../../src/steps/step.ts';
import { meshSpec, run, runExpectingFailure, testDeps } from './harness.ts';

const noKubernetes: ClusterHost = {
  startCluster: async () => ({ endpoint: 'https://127.0.0.1:9', caPem: '' }),
  stopCluster: async () => {},
  setNodeGroup: () => {},
  deleteNodeGroup: () => {},
};

let cloud: Cloud;
beforeAll(async () => {
  const zones = parseZoneMapping(['us-east-1=use1-az3,use1-az1,use1-az2,use1-az4,use1-az6,use1-az5']);
  cloud = await startCloud({ profile: 'fast', clusterHost: noKubernetes, zones });
});
afterAll(async () => {
  await cloud?.stop();
});

async function subnetZoneIds(deps: ReturnType<typeof testDeps>, mesh: string): Promise<string[]> {
  const out = await deps.aws
    .ec2('us-east-1')
    .send(new DescribeSubnetsCommand({ Filters: [{ Name: 'tag:meshops:mesh', Values: [mesh] }] }));
  return [...new Set((out.Subnets ?? []).map((s) => s.AvailabilityZoneId!))].sort();
}

describe('availability zones by zone ID', () => {
  it('skips the zone EKS refuses and the one without the instance type: the control plane is created', async () => {
    const spec = meshSpec('az1');
    const deps = testDeps(cloud.awsEndpoint, spec);
    const iad = spec.clusters[0]!;
    const up = await run(sequential('up', 'up', [networkStep(deps, iad), iamStep(deps), controlPlaneStep(deps, iad)]));
    expect(await subnetZoneIds(deps, 'az1')).toEqual(['use1-az1', 'use1-az2']);
    expect(up.outcomes.get('network/iad/subnets')!.summary).toMatch(/us-east-1b \(use1-az1\): public subnet-\w+/);
    expect(up.outcomes.get('cluster/iad/control-plane')!.summary).toMatch(/^EKS cluster az1-iad created: ACTIVE/);
  });

  it('puts the subnets in the zone IDs the spec names', async () => {
    const spec = meshSpec('az2');
    spec.clusters[0]!.availabilityZoneIds = ['use1-az6', 'use1-az4'];
    const deps = testDeps(cloud.awsEndpoint, spec);
    await run(networkStep(deps, spec.clusters[0]!));
    expect(await subnetZoneIds(deps, 'az2')).toEqual(['use1-az4', 'use1-az6']);
  });

  it('refuses a zone ID EKS does not support before making anything, saying which would do', async () => {
    const spec = meshSpec('az3');
    spec.clusters[0]!.availabilityZoneIds = ['use1-az3', 'use1-az1'];
    const deps = testDeps(cloud.awsEndpoint, spec);
    const err = (await runExpectingFailure(networkStep(deps, spec.clusters[0]!))) as PermanentError;
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toContain('use1-az3 (us-east-1a) does not take EKS cluster subnets');
    expect(err.hint).toMatch(/availabilityZoneIds: .*use1-az1.*use1-az2/);
    expect(await subnetZoneIds(deps, 'az3')).toEqual([]);
  });
});

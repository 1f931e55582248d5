// An endpoint that is not open to everyone: with publicAccessCidrs in the spec, each cluster's public endpoint
// admits those plus the mesh's NAT addresses (/32, every region) and nothing else; without, it stays open and
// status says how to close it. The sandbox applies endpoint changes over time (UPDATING) and refuses an update
// that changes nothing, as EKS does.
import { readFileSync } from 'node:fs';
import { DescribeAddressesCommand, DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import { CreateClusterCommand, DescribeClusterCommand, UpdateClusterConfigCommand } from '@aws-sdk/client-eks';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { observeAws } from '../../jobs/status/aws.ts';
import { controlPlaneStep, endpointAccessStep } from '../../jobs/up/aws/eks.ts';
import { iamStep } from '../../jobs/up/aws/iam.ts';
import { networkStep } from '../../jobs/up/aws/network.ts';
import { type Cloud, startCloud } from '../../sandbox/cloud.ts';
import type { ClusterHost } from '../../sandbox/contracts.ts';
import { MESH_TAG } from '../../src/aws/tags.ts';
import { parseSpec } from '../../src/config/spec.ts';
import { parallel, sequential } from '../../src/steps/step.ts';
import { meshSpec, run, testDeps } from './harness.ts';

const MESH_YAML = new URL('../../infra/mesh.yaml', import.meta.url).pathname;

const noKubernetes: ClusterHost = {
  startCluster: async () => ({ endpoint: 'https://127.0.0.1:9', caPem: '' }),
  stopCluster: async () => {},
  setNodeGroup: () => {},
  deleteNodeGroup: () => {},
};

let cloud: Cloud;
beforeAll(async () => {
  cloud = await startCloud({ profile: 'fast', clusterHost: noKubernetes });
});
afterAll(async () => {
  await cloud?.stop();
});

async function natAddresses(deps: ReturnType<typeof testDeps>, mesh: string): Promise<string[]> {
  const per = await Promise.all(
    deps.spec.clusters.map((c) =>
      deps.aws
        .ec2(c.region)
        .send(new DescribeAddressesCommand({ Filters: [{ Name: `tag:${MESH_TAG}`, Values: [mesh] }] })),
    ),
  );
  return per.flatMap((r) => (r.Addresses ?? []).map((a) => `${a.PublicIp}/32`));
}

describe('public endpoint access', () => {
  it('the spec takes publicAccessCidrs and says what is wrong with a bad one', () => {
    const yaml = (cidrs: unknown) => {
      const raw = parse(readFileSync(MESH_YAML, 'utf8')) as Record<string, unknown>;
      raw.publicAccessCidrs = cidrs;
      return stringify(raw);
    };
    expect(parseSpec(yaml(['203.0.113.0/24']), 'mesh.yaml').publicAccessCidrs).toEqual(['203.0.113.0/24']);
    expect(parseSpec(readFileSync(MESH_YAML, 'utf8'), 'mesh.yaml').publicAccessCidrs).toBeUndefined();
    expect(() => parseSpec(yaml(['203.0.113.0/33']), 'mesh.yaml')).toThrow(/publicAccessCidrs/);
    expect(() => parseSpec(yaml('203.0.113.0/24'), 'mesh.yaml')).toThrow(/a list of IPv4 CIDRs/);
    // IPv4 only: EKS takes no IPv6 block on an IPv4 cluster (VpcConfigRequest.publicAccessCidrs).
    expect(() => parseSpec(yaml(['2001:db8::/32']), 'mesh.yaml')).toThrow(/EKS takes no IPv6 block/);
    // EKS admits 40 per endpoint (not adjustable) and meshops adds the mesh's NAT addresses, two per cluster:
    // the blueprint's two clusters leave room for 36, and the spec says so before anything is made.
    const cidrs = (n: number) => Array.from({ length: n }, (_, i) => `198.51.100.${i}/32`);
    expect(parseSpec(yaml(cidrs(36)), 'mesh.yaml').publicAccessCidrs).toHaveLength(36);
    expect(() => parseSpec(yaml(cidrs(37)), 'mesh.yaml')).toThrow(
      /publicAccessCidrs: names 37 CIDRs; at most 36 fit: EKS admits 40 per endpoint and meshops adds the mesh's 4 NAT addresses/,
    );
  });

  it('open without publicAccessCidrs (status warns); then only the named CIDRs and the NAT addresses', async () => {
    const spec = meshSpec('epa');
    const deps = testDeps(cloud.awsEndpoint, spec);
    const iad = spec.clusters[0]!;
    await run(
      sequential('up', 'up', [
        parallel('base', 'base', [iamStep(deps), ...spec.clusters.map((c) => networkStep(deps, c))]),
        controlPlaneStep(deps, iad),
        endpointAccessStep(deps, iad),
      ]),
    );
    const eks = deps.aws.eks(iad.region);
    const cidrs = async () =>
      (await eks.send(new DescribeClusterCommand({ name: 'epa-iad' }))).cluster?.resourcesVpcConfig?.publicAccessCidrs;
    expect(await cidrs()).toEqual(['0.0.0.0/0']);
    const open = (await observeAws(deps, iad)).find((l) => l.subject === 'public endpoint of epa-iad');
    expect(open?.health).toBe('warning');
    expect(open?.detail).toContain('open to 0.0.0.0/0: name publicAccessCidrs in the spec');

    // EKS refuses an update that changes nothing: the step must compare first.
    await expect(
      eks.send(
        new UpdateClusterConfigCommand({ name: 'epa-iad', resourcesVpcConfig: { publicAccessCidrs: ['0.0.0.0/0'] } }),
      ),
    ).rejects.toThrow(/already at the desired configuration/);

    const closed = { ...deps, spec: { ...spec, publicAccessCidrs: ['203.0.113.0/24'] } };
    const ran = await run(endpointAccessStep(closed, iad));
    expect(ran.changed).toBe(true);
    const nats = await natAddresses(deps, 'epa');
    expect(nats).toHaveLength(4);
    expect([...(await cidrs())!].sort()).toEqual(['203.0.113.0/24', ...nats].sort());
    const ok = (await observeAws(closed, iad)).find((l) => l.subject === 'public endpoint of epa-iad');
    expect(ok?.health).toBe('ok');
    // A second up changes nothing (and sends no update EKS would refuse).
    expect((await run(endpointAccessStep(closed, iad))).changed).toBe(false);
    // The spec without the list again: status warns once more after up reopens it.
    expect((await run(endpointAccessStep(deps, iad))).changed).toBe(true);
    expect(await cidrs()).toEqual(['0.0.0.0/0']);
  });

  it('EKS refuses more than 40 CIDRs and malformed ones', async () => {
    const spec = meshSpec('epb');
    const deps = testDeps(cloud.awsEndpoint, spec);
    const iad = spec.clusters[0]!;
    await run(
      sequential('up', 'up', [
        parallel('base', 'base', [iamStep(deps), networkStep(deps, iad)]),
        controlPlaneStep(deps, iad),
      ]),
    );
    const eks = deps.aws.eks(iad.region);
    const many = Array.from({ length: 41 }, (_, i) => `198.51.100.${i}/32`);
    await expect(
      eks.send(new UpdateClusterConfigCommand({ name: 'epb-iad', resourcesVpcConfig: { publicAccessCidrs: many } })),
    ).rejects.toThrow(/maximum number of publicAccessCidrs is 40/);
    await expect(
      eks.send(
        new UpdateClusterConfigCommand({ name: 'epb-iad', resourcesVpcConfig: { publicAccessCidrs: ['1.2.3/8'] } }),
      ),
    ).rejects.toThrow(/invalid in publicAccessCidrs: 1.2.3\/8/);
    // An IPv4 cluster takes no IPv6 block (VpcConfigRequest.publicAccessCidrs).
    await expect(
      eks.send(
        new UpdateClusterConfigCommand({
          name: 'epb-iad',
          resourcesVpcConfig: { publicAccessCidrs: ['203.0.113.0/24', '2001:db8::/32'] },
        }),
      ),
    ).rejects.toThrow(/IPv6 CIDR blocks .* IPv4 cluster.*2001:db8::\/32/);
  });

  it('CreateCluster refuses the same publicAccessCidrs as UpdateClusterConfig, with InvalidParameterException', async () => {
    const spec = meshSpec('epc');
    const deps = testDeps(cloud.awsEndpoint, spec);
    const iad = spec.clusters[0]!;
    await run(parallel('base', 'base', [iamStep(deps), networkStep(deps, iad)]));
    const eks = deps.aws.eks(iad.region);
    const ec2 = deps.aws.ec2(iad.region);
    const subnets = await ec2.send(
      new DescribeSubnetsCommand({ Filters: [{ Name: `tag:${MESH_TAG}`, Values: ['epc'] }] }),
    );
    const role = await deps.aws.iam().send(new GetRoleCommand({ RoleName: 'epc-eks-cluster' }));
    const create = (publicAccessCidrs: string[], ipFamily?: 'ipv4' | 'ipv6') =>
      eks.send(
        new CreateClusterCommand({
          name: 'epc-iad',
          roleArn: role.Role!.Arn!,
          resourcesVpcConfig: { subnetIds: (subnets.Subnets ?? []).map((x) => x.SubnetId!), publicAccessCidrs },
          ...(ipFamily ? { kubernetesNetworkConfig: { ipFamily } } : {}),
        }),
      );
    const refusal = async (p: Promise<unknown>) => {
      const err = (await p.then(
        () => undefined,
        (e: unknown) => e,
      )) as Error | undefined;
      return err && `${err.name}: ${err.message}`;
    };
    expect(await refusal(create(Array.from({ length: 41 }, (_, i) => `198.51.100.${i}/32`)))).toMatch(
      /^InvalidParameterException: .*maximum number of publicAccessCidrs is 40/,
    );
    expect(await refusal(create(['1.2.3/8']))).toMatch(/^InvalidParameterException: .*invalid in publicAccessCidrs/);
    expect(await refusal(create(['2001:db8::/32']))).toMatch(/^InvalidParameterException: .*IPv6 CIDR blocks/);
    // Nothing was made by the refused calls.
    await expect(eks.send(new DescribeClusterCommand({ name: 'epc-iad' }))).rejects.toThrow(
      /No cluster found for name: epc-iad/,
    );
  });
});

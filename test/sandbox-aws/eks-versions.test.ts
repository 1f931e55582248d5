// Kubernetes versions through the gateway: DescribeClusterVersions with AWS's published support dates, and
// CreateCluster taking only the versions EKS offers, recording upgradePolicy.supportType (EXTENDED by default).
import { CreateClusterCommand, DescribeClusterCommand, DescribeClusterVersionsCommand } from '@aws-sdk/client-eks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, clusterGroundwork, uniqueName } from './helpers/aws.ts';
import { type Fixture, startFixture } from './helpers/sandbox-fixture.ts';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => {
  await fx?.stop();
});

const iso = (d: Date | undefined) => d?.toISOString().slice(0, 10);

describe('EKS versions', () => {
  it('lists the versions with their release and support dates, and their status today', async () => {
    const { eks } = clients(fx.gateway.url);
    const out = await eks.send(new DescribeClusterVersionsCommand({ includeAll: true }));
    const v = new Map((out.clusterVersions ?? []).map((x) => [x.clusterVersion, x]));
    expect(iso(v.get('1.34')!.endOfStandardSupportDate)).toBe('2026-12-02');
    expect(iso(v.get('1.34')!.endOfExtendedSupportDate)).toBe('2027-12-02');
    expect(iso(v.get('1.35')!.releaseDate)).toBe('2026-01-28');
    expect(iso(v.get('1.35')!.endOfStandardSupportDate)).toBe('2027-03-27');
    for (const x of v.values()) {
      const now = Date.now();
      const want =
        now < x.endOfStandardSupportDate!.getTime()
          ? 'STANDARD_SUPPORT'
          : now < x.endOfExtendedSupportDate!.getTime()
            ? 'EXTENDED_SUPPORT'
            : 'UNSUPPORTED';
      expect([x.clusterVersion, x.versionStatus]).toEqual([x.clusterVersion, want]);
    }
    const defaults = (out.clusterVersions ?? []).filter((x) => x.defaultVersion);
    expect(defaults).toHaveLength(1);
    expect(defaults[0]!.versionStatus).toBe('STANDARD_SUPPORT');

    const one = await eks.send(new DescribeClusterVersionsCommand({ clusterVersions: ['1.34'] }));
    expect(one.clusterVersions!.map((x) => x.clusterVersion)).toEqual(['1.34']);
  });

  it('refuses a version EKS does not offer, and keeps upgradePolicy.supportType', async () => {
    const c = clients(fx.gateway.url);
    const ground = await clusterGroundwork(c);
    const vpc = { subnetIds: ground.subnetIds };
    const old = await c.eks
      .send(
        new CreateClusterCommand({
          name: uniqueName('old'),
          version: '1.27',
          roleArn: ground.roleArn,
          resourcesVpcConfig: vpc,
        }),
      )
      .catch((e: Error) => e);
    expect(old).toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining('unsupported Kubernetes version 1.27'),
    });

    const name = uniqueName('std');
    await c.eks.send(
      new CreateClusterCommand({
        name,
        version: '1.35',
        roleArn: ground.roleArn,
        resourcesVpcConfig: vpc,
        upgradePolicy: { supportType: 'STANDARD' },
      }),
    );
    const seen = (await c.eks.send(new DescribeClusterCommand({ name }))).cluster!;
    expect(seen).toMatchObject({ version: '1.35', upgradePolicy: { supportType: 'STANDARD' } });

    const byDefault = uniqueName('ext');
    await c.eks.send(
      new CreateClusterCommand({ name: byDefault, version: '1.34', roleArn: ground.roleArn, resourcesVpcConfig: vpc }),
    );
    expect((await c.eks.send(new DescribeClusterCommand({ name: byDefault }))).cluster!.upgradePolicy).toEqual({
      supportType: 'EXTENDED',
    });
  });
});

// EKS through the gateway: clusters take time, get a Kubernetes endpoint and CA, and go away slowly;
// managed node groups go CREATING -> ACTIVE (nodes follow), UPDATING -> ACTIVE at the new size with an
// update DescribeUpdate follows, DELETING -> gone (nodes go).

import { get } from 'node:https';
import { DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  CreateNodegroupCommand,
  DeleteClusterCommand,
  DeleteNodegroupCommand,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  DescribeUpdateCommand,
  ListClustersCommand,
  ListNodegroupsCommand,
  UpdateClusterConfigCommand,
  UpdateNodegroupConfigCommand,
} from '@aws-sdk/client-eks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, clusterGroundwork, uniqueName, waitFor } from './helpers/aws.ts';
import { TINY } from './helpers/profile.ts';
import { type Fixture, startFixture } from './helpers/sandbox-fixture.ts';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => {
  await fx?.stop();
});

function httpsGetWithCa(endpoint: string, caPem: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(`${endpoint}/version`, { ca: caPem }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

describe('an EKS cluster through the gateway', () => {
  it('is CREATING, then ACTIVE with the stand-in endpoint and CA, then DELETING, then gone', async () => {
    const aws = clients(fx.gateway.url);
    const ground = await clusterGroundwork(aws);
    const name = uniqueName('iad');

    // Each short-lived state is held while the test looks at it (sandbox/aws/timers.ts), however slow the machine.
    fx.gateway.timeline.hold();
    const created = await aws.eks.send(
      new CreateClusterCommand({
        name,
        version: '1.34',
        roleArn: ground.roleArn,
        resourcesVpcConfig: { subnetIds: ground.subnetIds },
        accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP', bootstrapClusterCreatorAdminPermissions: true },
        tags: { 'meshops/mesh': 'm1' },
      }),
    );
    expect(created.cluster?.status).toBe('CREATING');
    expect(created.cluster?.endpoint).toBeUndefined();
    expect(created.cluster?.accessConfig?.authenticationMode).toBe('API_AND_CONFIG_MAP');
    expect(created.cluster?.resourcesVpcConfig?.vpcId).toBe(ground.vpcId);

    const sgId = created.cluster!.resourcesVpcConfig!.clusterSecurityGroupId!;
    const sgs = await aws.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [sgId] }));
    const sg = sgs.SecurityGroups![0];
    expect(sg.GroupName).toMatch(new RegExp(`^eks-cluster-sg-${name}-\\d+$`));
    expect(sg.VpcId).toBe(ground.vpcId);
    expect(sg.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'aws:eks:cluster-name', Value: name },
        { Key: `kubernetes.io/cluster/${name}`, Value: 'owned' },
      ]),
    );

    const early = await aws.eks.send(new DescribeClusterCommand({ name }));
    expect(early.cluster?.status).toBe('CREATING');
    fx.gateway.timeline.release();

    const active = await waitFor('ACTIVE', async () => {
      const d = await aws.eks.send(new DescribeClusterCommand({ name }));
      return d.cluster?.status === 'ACTIVE' ? d.cluster : undefined;
    });
    expect(fx.host.events.find((e) => e.kind === 'startCluster' && e.placement.name === name)).toMatchObject({
      placement: {
        name,
        region: 'us-east-1',
        vpcId: ground.vpcId,
        subnetIds: ground.subnetIds,
        clusterSecurityGroupId: sgId,
        kubernetesVersion: '1.34',
      },
    });
    expect(active.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const caPem = Buffer.from(active.certificateAuthority!.data!, 'base64').toString('utf8');
    expect(caPem).toContain('BEGIN CERTIFICATE');
    expect(await httpsGetWithCa(active.endpoint!, caPem)).toBe(200);

    fx.gateway.timeline.hold();
    const deleting = await aws.eks.send(new DeleteClusterCommand({ name }));
    expect(deleting.cluster?.status).toBe('DELETING');
    expect((await aws.eks.send(new DescribeClusterCommand({ name }))).cluster?.status).toBe('DELETING');
    expect((await aws.eks.send(new ListClustersCommand({}))).clusters).toContain(name);
    fx.gateway.timeline.release();

    const gone = await waitFor('gone', async () => {
      try {
        await aws.eks.send(new DescribeClusterCommand({ name }));
        return undefined;
      } catch (err) {
        return err as Error & { $metadata: { httpStatusCode: number } };
      }
    });
    expect(gone.name).toBe('ResourceNotFoundException');
    expect(gone.$metadata.httpStatusCode).toBe(404);
    expect(fx.host.events.some((e) => e.kind === 'stopCluster' && e.name === name)).toBe(true);
    // EKS deletes its cluster security group with the cluster: gone as soon as the cluster is.
    await expect(aws.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [sgId] }))).rejects.toThrow(
      /InvalidGroup.NotFound|does not exist/,
    );
  });

  it("is due ACTIVE the profile's time after the CreateCluster request, and so is its node group: the stand-in's own answer time is not added", async () => {
    const aws = clients(fx.gateway.url);
    const ground = await clusterGroundwork(aws);
    const name = uniqueName('due');
    const dueOf = (what: string) => fx.gateway.timeline.pending().find((p) => p.what === what)?.dueAt;
    const asked = fx.gateway.timeline.now();
    await aws.eks.send(
      new CreateClusterCommand({ name, roleArn: ground.roleArn, resourcesVpcConfig: { subnetIds: ground.subnetIds } }),
    );
    const answered = fx.gateway.timeline.now();
    // The answer took moto's calls and the stand-in's checks; the cluster's life began with the request, which
    // reached the gateway well before the first half of the round trip was over.
    const early = (answered - asked) / 2;
    expect(dueOf(`activating cluster us-east-1/${name}`)! - asked).toBeLessThanOrEqual(TINY.clusterCreateMs + early);
    await waitFor('ACTIVE', async () =>
      (await aws.eks.send(new DescribeClusterCommand({ name }))).cluster?.status === 'ACTIVE' ? true : undefined,
    );
    const ngAsked = fx.gateway.timeline.now();
    await aws.eks.send(
      new CreateNodegroupCommand({
        clusterName: name,
        nodegroupName: 'ng',
        nodeRole: ground.roleArn,
        subnets: ground.subnetIds,
        scalingConfig: { minSize: 0, maxSize: 2, desiredSize: 0 },
      }),
    );
    const ngEarly = (fx.gateway.timeline.now() - ngAsked) / 2;
    expect(dueOf(`activating node group ${name}/ng`)! - ngAsked).toBeLessThanOrEqual(TINY.nodegroupCreateMs + ngEarly);
  });

  it('refuses node groups until the cluster is ACTIVE, and deleting a cluster that still has node groups', async () => {
    const aws = clients(fx.gateway.url);
    const ground = await clusterGroundwork(aws);
    const name = uniqueName('pdx');
    fx.gateway.timeline.hold();
    await aws.eks.send(
      new CreateClusterCommand({ name, roleArn: ground.roleArn, resourcesVpcConfig: { subnetIds: ground.subnetIds } }),
    );
    const ng = {
      clusterName: name,
      nodegroupName: 'ng',
      nodeRole: ground.roleArn,
      subnets: ground.subnetIds,
      scalingConfig: { minSize: 0, maxSize: 8, desiredSize: 0 },
    };
    const early = await aws.eks.send(new CreateNodegroupCommand(ng)).catch((e: Error) => e);
    expect(early).toMatchObject({
      name: 'InvalidRequestException',
      message: `Cluster '${name}' is not in ACTIVE status`,
    });
    fx.gateway.timeline.release();

    await waitFor('ACTIVE', async () =>
      (await aws.eks.send(new DescribeClusterCommand({ name }))).cluster?.status === 'ACTIVE' ? true : undefined,
    );
    await aws.eks.send(new CreateNodegroupCommand(ng));
    const refused = await aws.eks.send(new DeleteClusterCommand({ name })).catch((e: Error) => e);
    expect(refused).toMatchObject({ name: 'ResourceInUseException', $metadata: { httpStatusCode: 409 } });
  });

  it('answers UpdateClusterConfig with an update, applies the authentication mode, and never goes back', async () => {
    const aws = clients(fx.gateway.url);
    const ground = await clusterGroundwork(aws);
    const name = uniqueName('cfg');
    await aws.eks.send(
      new CreateClusterCommand({ name, roleArn: ground.roleArn, resourcesVpcConfig: { subnetIds: ground.subnetIds } }),
    );
    const describe = async () => (await aws.eks.send(new DescribeClusterCommand({ name }))).cluster!;
    expect((await describe()).accessConfig?.authenticationMode).toBe('CONFIG_MAP');
    await waitFor('ACTIVE', async () => ((await describe()).status === 'ACTIVE' ? true : undefined));

    const { update } = await aws.eks.send(
      new UpdateClusterConfigCommand({ name, accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP' } }),
    );
    expect(update).toMatchObject({
      type: 'AccessConfigUpdate',
      params: [{ type: 'AuthenticationMode', value: 'API_AND_CONFIG_MAP' }],
    });
    expect((await aws.eks.send(new DescribeUpdateCommand({ name, updateId: update!.id! }))).update?.status).toBe(
      'Successful',
    );
    expect((await describe()).accessConfig?.authenticationMode).toBe('API_AND_CONFIG_MAP');
    const back = await aws.eks
      .send(new UpdateClusterConfigCommand({ name, accessConfig: { authenticationMode: 'CONFIG_MAP' } }))
      .catch((e: Error) => e);
    expect(back).toMatchObject({ name: 'InvalidParameterException' });
  });

  it('rejects subnets in a single AZ and an unknown authentication mode as EKS does', async () => {
    const aws = clients(fx.gateway.url);
    const ground = await clusterGroundwork(aws);
    const err = await aws.eks
      .send(
        new CreateClusterCommand({
          name: uniqueName('one-az'),
          roleArn: ground.roleArn,
          resourcesVpcConfig: { subnetIds: [ground.subnetIds[0]] },
        }),
      )
      .catch((e: Error) => e);
    expect(err).toMatchObject({
      name: 'InvalidParameterException',
      message: 'Subnets specified must be in at least two different AZs',
    });
    const mode = await aws.eks
      .send(
        new CreateClusterCommand({
          name: uniqueName('mode'),
          roleArn: ground.roleArn,
          resourcesVpcConfig: { subnetIds: ground.subnetIds },
          accessConfig: { authenticationMode: 'IAM' as 'API' },
        }),
      )
      .catch((e: Error) => e);
    expect(mode).toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining('accessConfig.authenticationMode'),
    });
  });
});

describe('an EKS managed node group through the gateway', () => {
  it('is created, scaled and deleted on a timeline, and the cluster host follows', async () => {
    const aws = clients(fx.gateway.url);
    const ground = await clusterGroundwork(aws);
    const clusterName = uniqueName('iad');
    await aws.eks.send(
      new CreateClusterCommand({
        name: clusterName,
        version: '1.34',
        roleArn: ground.roleArn,
        resourcesVpcConfig: { subnetIds: ground.subnetIds },
      }),
    );
    await waitFor('cluster ACTIVE', async () =>
      (await aws.eks.send(new DescribeClusterCommand({ name: clusterName }))).cluster?.status === 'ACTIVE'
        ? true
        : undefined,
    );

    const created = await aws.eks.send(
      new CreateNodegroupCommand({
        clusterName,
        nodegroupName: 'workers',
        nodeRole: ground.roleArn,
        subnets: ground.subnetIds,
        instanceTypes: ['m5.xlarge'],
        diskSize: 100,
        remoteAccess: { ec2SshKey: 'meshops' },
        scalingConfig: { minSize: 0, maxSize: 8, desiredSize: 0 },
        tags: { 'meshops/mesh': 'm1' },
      }),
    );
    expect(created.nodegroup).toMatchObject({
      status: 'CREATING',
      version: '1.34',
      diskSize: 100,
      remoteAccess: { ec2SshKey: 'meshops' },
    });
    const describe = () => aws.eks.send(new DescribeNodegroupCommand({ clusterName, nodegroupName: 'workers' }));
    await waitFor('node group ACTIVE', async () =>
      (await describe()).nodegroup?.status === 'ACTIVE' ? true : undefined,
    );
    expect(fx.host.events.filter((e) => e.kind === 'setNodeGroup' && e.cluster === clusterName)).toEqual([
      {
        kind: 'setNodeGroup',
        region: 'us-east-1',
        cluster: clusterName,
        shape: { name: 'workers', desiredSize: 0, instanceType: 'm5.xlarge', subnetIds: ground.subnetIds },
      },
    ]);

    fx.gateway.timeline.hold();
    const scaled = await aws.eks.send(
      new UpdateNodegroupConfigCommand({ clusterName, nodegroupName: 'workers', scalingConfig: { desiredSize: 3 } }),
    );
    expect(scaled.update?.status).toBe('InProgress');
    expect(scaled.update?.params).toContainEqual({ type: 'DesiredSize', value: '3' });
    expect((await describe()).nodegroup?.status).toBe('UPDATING');
    const again = await aws.eks
      .send(
        new UpdateNodegroupConfigCommand({ clusterName, nodegroupName: 'workers', scalingConfig: { desiredSize: 4 } }),
      )
      .catch((e: Error) => e);
    expect(again).toMatchObject({ name: 'ResourceInUseException' });
    fx.gateway.timeline.release();

    const updateId = scaled.update!.id!;
    await waitFor('update Successful', async () => {
      const u = await aws.eks.send(
        new DescribeUpdateCommand({ name: clusterName, nodegroupName: 'workers', updateId }),
      );
      return u.update?.status === 'Successful' ? true : undefined;
    });
    const after = (await describe()).nodegroup!;
    expect(after.status).toBe('ACTIVE');
    expect(after.scalingConfig).toEqual({ minSize: 0, maxSize: 8, desiredSize: 3 });
    expect(fx.host.events.filter((e) => e.kind === 'setNodeGroup' && e.cluster === clusterName).at(-1)).toMatchObject({
      shape: { desiredSize: 3 },
    });

    const tooBig = await aws.eks
      .send(
        new UpdateNodegroupConfigCommand({ clusterName, nodegroupName: 'workers', scalingConfig: { desiredSize: 9 } }),
      )
      .catch((e: Error) => e);
    expect(tooBig).toMatchObject({ name: 'InvalidParameterException' });

    fx.gateway.timeline.hold();
    const deleting = await aws.eks.send(new DeleteNodegroupCommand({ clusterName, nodegroupName: 'workers' }));
    expect(deleting.nodegroup?.status).toBe('DELETING');
    expect((await describe()).nodegroup?.status).toBe('DELETING');
    expect((await aws.eks.send(new ListNodegroupsCommand({ clusterName }))).nodegroups).toEqual(['workers']);
    fx.gateway.timeline.release();
    const gone = await waitFor('node group gone', async () =>
      describe().then(
        () => undefined,
        (e: Error) => e,
      ),
    );
    expect(gone.name).toBe('ResourceNotFoundException');
    expect(fx.host.events.filter((e) => e.kind === 'deleteNodeGroup').at(-1)).toEqual({
      kind: 'deleteNodeGroup',
      region: 'us-east-1',
      cluster: clusterName,
      nodegroup: 'workers',
    });
    expect((await aws.eks.send(new ListNodegroupsCommand({ clusterName }))).nodegroups).toEqual([]);
  });
});

describe('a node group EC2 has no capacity for', () => {
  it('goes DEGRADED when asked to grow, with the launch failure in health.issues, and takes the next update', async () => {
    const aws = clients(fx.gateway.url);
    const ground = await clusterGroundwork(aws);
    const clusterName = uniqueName('cap');
    await aws.eks.send(
      new CreateClusterCommand({
        name: clusterName,
        roleArn: ground.roleArn,
        resourcesVpcConfig: { subnetIds: ground.subnetIds },
      }),
    );
    await waitFor('cluster ACTIVE', async () =>
      (await aws.eks.send(new DescribeClusterCommand({ name: clusterName }))).cluster?.status === 'ACTIVE'
        ? true
        : undefined,
    );
    await aws.eks.send(
      new CreateNodegroupCommand({
        clusterName,
        nodegroupName: 'workers',
        nodeRole: ground.roleArn,
        subnets: ground.subnetIds,
        instanceTypes: ['m5.xlarge'],
        scalingConfig: { minSize: 0, maxSize: 8, desiredSize: 0 },
      }),
    );
    const describe = () => aws.eks.send(new DescribeNodegroupCommand({ clusterName, nodegroupName: 'workers' }));
    await waitFor('node group ACTIVE', async () =>
      (await describe()).nodegroup?.status === 'ACTIVE' ? true : undefined,
    );
    fx.gateway.faults.noCapacity(['m5.xlarge']);
    try {
      await aws.eks.send(
        new UpdateNodegroupConfigCommand({ clusterName, nodegroupName: 'workers', scalingConfig: { desiredSize: 3 } }),
      );
      const degraded = await waitFor('DEGRADED', async () => {
        const ng = (await describe()).nodegroup!;
        return ng.status === 'DEGRADED' ? ng : undefined;
      });
      expect(degraded.health?.issues).toEqual([
        expect.objectContaining({
          code: 'AsgInstanceLaunchFailures',
          message: expect.stringContaining('InsufficientInstanceCapacity'),
        }),
      ]);
      expect(fx.host.events.filter((e) => e.kind === 'setNodeGroup' && e.cluster === clusterName).at(-1)).toMatchObject(
        { shape: { desiredSize: 0 } },
      );
    } finally {
      fx.gateway.faults.clear();
    }
    await aws.eks.send(
      new UpdateNodegroupConfigCommand({ clusterName, nodegroupName: 'workers', scalingConfig: { desiredSize: 2 } }),
    );
    await waitFor('ACTIVE again', async () => ((await describe()).nodegroup?.status === 'ACTIVE' ? true : undefined));
    expect((await describe()).nodegroup?.health?.issues).toEqual([]);
  });
});

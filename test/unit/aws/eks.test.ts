// The EKS cluster, node group, IAM role and peering modules against in-memory clients.
import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../../src/errors.ts';
import { clusterScope } from '../../../src/mesh/aws/common.ts';
import * as eksCluster from '../../../src/mesh/aws/eks-cluster.ts';
import * as roles from '../../../src/mesh/aws/iam-roles.ts';
import * as nodeGroup from '../../../src/mesh/aws/node-group.ts';
import * as nodeRules from '../../../src/mesh/aws/node-rules.ts';
import * as peering from '../../../src/mesh/aws/peering.ts';
import { awsError, fakeAws, fakeClock, fakeContext, fakeDeps } from './fake-aws.ts';

describe('EKS cluster', () => {
  it('finds only clusters named after the mesh and tagged with it, describing a few at a time', async () => {
    let inFlight = 0;
    let most = 0;
    const names = ['m-iad', 'm-pdx', 'm-old', 'other-iad', 'mx-iad', ...Array.from({ length: 8 }, (_, i) => `m-c${i}`)];
    const fake = fakeAws({
      eks: {
        ListClusters: () => ({ clusters: names }),
        DescribeCluster: async (i) => {
          most = Math.max(most, ++inFlight);
          await new Promise((r) => setTimeout(r, 1));
          inFlight--;
          const tag = i.name === 'm-old' ? 'someone-else' : 'm';
          return { cluster: { name: i.name, tags: { 'meshops:mesh': tag } } };
        },
      },
    });
    const found = await eksCluster.findMeshClusters(fake.aws.eks('us-east-1'), 'm');
    expect(found.map((c) => c.name)).toEqual(['m-iad', 'm-pdx', ...Array.from({ length: 8 }, (_, i) => `m-c${i}`)]);
    expect(fake.called('DescribeCluster').map((c) => c.input.name)).not.toContain('other-iad');
    expect(fake.called('DescribeCluster').map((c) => c.input.name)).not.toContain('mx-iad');
    expect(most).toBeLessThanOrEqual(4);
  });

  it('stops at once with the health issues when the control plane ends FAILED', async () => {
    const fake = fakeAws({
      eks: {
        DescribeCluster: () => ({
          cluster: {
            name: 'm-iad',
            status: 'FAILED',
            health: { issues: [{ code: 'Ec2SubnetInvalidConfiguration', message: 'bad subnet' }] },
          },
        }),
      },
    });
    const deps = fakeDeps(fake.aws);
    const err = await eksCluster
      .waitActive(clusterScope(deps, deps.spec.clusters[0]!), fakeContext(deps.clock))
      .catch((e) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toBe('EKS cluster m-iad FAILED: Ec2SubnetInvalidConfiguration: bad subnet');
  });

  it('delete: retries while node groups remain, then waits until the cluster is gone', async () => {
    const clock = fakeClock();
    const groupsGoneAt = clock.now() + 30_000;
    let deletedAt: number | undefined;
    const fake = fakeAws({
      eks: {
        DeleteCluster: () => {
          if (clock.now() < groupsGoneAt) throw awsError('ResourceInUseException', 'Cluster has nodegroups attached');
          deletedAt = clock.now();
          return {};
        },
        DescribeCluster: () => {
          if (deletedAt !== undefined && clock.now() > deletedAt + 60_000)
            throw awsError('ResourceNotFoundException', 'No cluster found', 404);
          return { cluster: { name: 'm-iad', status: deletedAt ? 'DELETING' : 'ACTIVE' } };
        },
      },
    });
    const out = await eksCluster.remove(fakeDeps(fake.aws, clock), fakeContext(clock), 'us-east-1', 'm-iad');
    expect(out.summary).toBe('us-east-1: deleted EKS cluster m-iad');
    expect(clock.now()).toBeGreaterThan(groupsGoneAt + 60_000);
  });

  it('health: ok when ACTIVE, a warning while CREATING, failing otherwise, absent when none', () => {
    expect(eksCluster.health('m-iad', undefined)[0]!.health).toBe('absent');
    expect(eksCluster.health('m-iad', { status: 'CREATING', version: '1.35' })[0]!.health).toBe('warning');
    expect(eksCluster.health('m-iad', { status: 'FAILED', version: '1.35' })[0]!.health).toBe('failing');
    expect(eksCluster.health('m-iad', { status: 'ACTIVE', version: '1.35', endpoint: 'https://x' })[0]).toMatchObject({
      health: 'ok',
      detail: 'ACTIVE, Kubernetes 1.35, https://x',
    });
  });
});

describe('node group', () => {
  it('health: a warning that says why when below the spec size, with EKS health issues', () => {
    const c = fakeDeps(fakeAws({}).aws).spec.clusters[0]!;
    const ng = {
      nodegroupName: 'm-iad-nodes',
      status: 'ACTIVE' as const,
      scalingConfig: { desiredSize: 0 },
      instanceTypes: ['m5.xlarge'],
    };
    expect(nodeGroup.health(c, 'm-iad-nodes', ng)[0]).toMatchObject({
      health: 'warning',
      detail: 'ACTIVE, desired 0 (spec 3), m5.xlarge',
    });
    expect(nodeGroup.health(c, 'm-iad-nodes', undefined)[0]!.health).toBe('absent');
  });

  it('scale: waits for an update in progress before changing the size, then waits for the new size', async () => {
    const clock = fakeClock();
    let ng = {
      nodegroupName: 'm-iad-nodes',
      status: 'UPDATING',
      scalingConfig: { minSize: 0, maxSize: 8, desiredSize: 0 },
    };
    const fake = fakeAws({
      eks: {
        DescribeNodegroup: () => {
          if (ng.status === 'UPDATING' && clock.now() > 1_050_000) ng = { ...ng, status: 'ACTIVE' };
          return { nodegroup: ng };
        },
        UpdateNodegroupConfig: (i) => {
          if (ng.status !== 'ACTIVE') throw awsError('ResourceInUseException');
          ng = { ...ng, scalingConfig: i.scalingConfig };
          return { update: { id: 'u-1' } };
        },
      },
    });
    const deps = fakeDeps(fake.aws, clock);
    const s = clusterScope(deps, deps.spec.clusters[0]!);
    expect(await nodeGroup.observeScale(s, 3)).toEqual({ state: 'repair', detail: '0 -> 3 nodes' });
    const out = await nodeGroup.scale(s, 3, fakeContext(clock));
    expect(out.summary).toBe('node group m-iad-nodes scaled 0 -> 3 nodes');
    expect(fake.called('UpdateNodegroupConfig')).toHaveLength(1);
  });
});

describe('IAM roles', () => {
  it("never adopts a role of the mesh's name that does not carry the mesh tag", async () => {
    const fake = fakeAws({ iam: { GetRole: () => ({ Role: { RoleName: 'm-eks-cluster', Arn: 'arn:x', Tags: [] } }) } });
    const deps = fakeDeps(fake.aws);
    const err = await roles.ensure(deps, 'cluster', fakeContext(deps.clock)).catch((e) => e);
    expect(err).toMatchObject({ code: 'RoleNotManaged' });
    expect(await roles.findForMesh(deps)).toEqual([]);
  });

  it('remove detaches the policies and the instance profile before it deletes the role', async () => {
    const fake = fakeAws({
      iam: {
        ListAttachedRolePolicies: () => ({
          AttachedPolicies: [{ PolicyArn: 'arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy' }],
        }),
        DetachRolePolicy: () => ({}),
        ListRolePolicies: () => ({ PolicyNames: ['inline'] }),
        DeleteRolePolicy: () => ({}),
        ListInstanceProfilesForRole: () => ({ InstanceProfiles: [{ InstanceProfileName: 'eks-abc' }] }),
        RemoveRoleFromInstanceProfile: () => ({}),
        DeleteRole: () => ({}),
      },
    });
    const deps = fakeDeps(fake.aws);
    const out = await roles.remove(deps, fakeContext(deps.clock), ['m-eks-node']);
    expect(out.summary).toBe('global: deleted IAM roles m-eks-node');
    expect(fake.calls.map((c) => c.name)).toEqual([
      'ListAttachedRolePolicies',
      'DetachRolePolicy',
      'ListRolePolicies',
      'DeleteRolePolicy',
      'ListInstanceProfilesForRole',
      'RemoveRoleFromInstanceProfile',
      'DeleteRole',
    ]);
  });
});

describe('peering', () => {
  it("is deleted from the requester's region (the only side that can delete one pending acceptance)", async () => {
    const pcx = {
      VpcPeeringConnectionId: 'pcx-1',
      Status: { Code: 'pending-acceptance' },
      RequesterVpcInfo: { VpcId: 'vpc-a', Region: 'us-east-1' },
      AccepterVpcInfo: { VpcId: 'vpc-b', Region: 'us-west-2' },
      Tags: [{ Key: 'meshops:mesh', Value: 'm' }],
    };
    const fake = fakeAws({
      ec2: {
        DescribeVpcPeeringConnections: () => ({ VpcPeeringConnections: [pcx] }),
        DescribeRouteTables: () => ({ RouteTables: [] }),
        DeleteVpcPeeringConnection: (_i, region) => {
          if (region !== 'us-east-1') throw awsError('InvalidStateTransition');
          return { Return: true };
        },
      },
    });
    const deps = fakeDeps(fake.aws);
    // Seen first from the accepter's region.
    const found = await peering.findForMesh(deps, [
      { region: 'us-west-2', vpcs: ['vpc-b'] },
      { region: 'us-east-1', vpcs: ['vpc-a'] },
    ]);
    expect(found).toEqual([{ id: 'pcx-1', region: 'us-east-1', regions: ['us-west-2', 'us-east-1'] }]);
    const out = await peering.remove(deps, fakeContext(deps.clock), found[0]!);
    expect(out.summary).toBe('deleted VPC peering pcx-1');
  });

  it('route health: a blackhole or a route through another peering is failing', () => {
    const t = {
      RouteTableId: 'rtb-1',
      Routes: [{ DestinationCidrBlock: '10.1.0.0/16', VpcPeeringConnectionId: 'pcx-old', State: 'blackhole' as const }],
    };
    const [line] = peering.routeHealth([t], [{ name: 'pdx', cidr: '10.1.0.0/16', pcx: 'pcx-1' }]);
    expect(line).toMatchObject({ health: 'failing', detail: 'route to 10.1.0.0/16 (pdx) is a blackhole (pcx-old)' });
  });
});

describe('node rules', () => {
  it("adds no rule EKS's own self rule already covers: only the peers' VXLAN on a group that has it", async () => {
    const group = {
      GroupId: 'sg-1',
      // What EKS puts on a new cluster security group: all traffic from the group itself.
      IpPermissions: [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: 'sg-1' }] }],
    };
    const fake = fakeAws({
      eks: { DescribeCluster: () => ({ cluster: { resourcesVpcConfig: { clusterSecurityGroupId: 'sg-1' } } }) },
      ec2: {
        DescribeSecurityGroups: () => ({ SecurityGroups: [group] }),
        AuthorizeSecurityGroupIngress: () => ({}),
        RevokeSecurityGroupIngress: () => ({}),
      },
    });
    const deps = fakeDeps(fake.aws);
    const out = await nodeRules.ensure(clusterScope(deps, deps.spec.clusters[0]!));
    expect(out.summary).toBe('cluster security group sg-1: added udp 4789 from 10.1.0.0/16 (pdx)');
    expect(fake.called('AuthorizeSecurityGroupIngress').map((c) => c.input.IpPermissions[0].IpProtocol)).toEqual([
      'udp',
    ]);
  });

  it("revokes the VXLAN rule of a cluster dropped from the spec, and leaves the peers' and other rules alone", async () => {
    const group = {
      GroupId: 'sg-1',
      IpPermissions: [
        {
          IpProtocol: 'udp',
          FromPort: 4789,
          ToPort: 4789,
          IpRanges: [
            { CidrIp: '10.1.0.0/16', Description: 'meshops: Calico VXLAN from pdx' },
            { CidrIp: '10.7.0.0/16', Description: 'meshops: Calico VXLAN from old' },
            { CidrIp: '10.8.0.0/16', Description: 'someone else' },
          ],
        },
      ],
    };
    const fake = fakeAws({
      eks: { DescribeCluster: () => ({ cluster: { resourcesVpcConfig: { clusterSecurityGroupId: 'sg-1' } } }) },
      ec2: {
        DescribeSecurityGroups: () => ({ SecurityGroups: [group] }),
        AuthorizeSecurityGroupIngress: () => ({}),
        RevokeSecurityGroupIngress: () => ({}),
      },
    });
    const deps = fakeDeps(fake.aws);
    const s = clusterScope(deps, deps.spec.clusters[0]!);
    expect((await nodeRules.observe(s)).detail).toMatch(/, 1 to revoke$/);
    const out = await nodeRules.ensure(s);
    expect(out.summary).toContain('revoked udp 4789 from 10.7.0.0/16');
    expect(fake.called('RevokeSecurityGroupIngress').map((c) => c.input.IpPermissions[0].IpRanges)).toEqual([
      [{ CidrIp: '10.7.0.0/16', Description: 'meshops: Calico VXLAN from old' }],
    ]);
  });
});

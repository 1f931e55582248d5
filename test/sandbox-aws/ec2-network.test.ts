// EC2 networking through the gateway. NAT gateways: pending, then available; deleting, then deleted; the
// Elastic IP cannot be released while the NAT gateway holds it, nor for a while after it is deleted (AuthFailure,
// as AWS answers), and stays allocated (no longer associated) afterwards. Cross-region VPC peering with the filters
// EC2 applies (moto ignores them). NAT gateways and peerings that fail on demand, as EC2 shows them. VPC attributes
// one per call, as EC2 refuses more.
import {
  AcceptVpcPeeringConnectionCommand,
  AllocateAddressCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcPeeringConnectionCommand,
  DeleteNatGatewayCommand,
  DeleteSubnetCommand,
  DescribeAddressesCommand,
  DescribeNatGatewaysCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcPeeringConnectionsCommand,
  DetachInternetGatewayCommand,
  ModifyVpcAttributeCommand,
  ReleaseAddressCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hookResourceFailures } from '../../sandbox/aws/resource-failures.ts';
import { clients, waitFor } from './helpers/aws.ts';
import { TINY } from './helpers/profile.ts';
import { type Fixture, startFixture } from './helpers/sandbox-fixture.ts';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => {
  await fx?.stop();
});

describe('VPC attributes through the gateway', () => {
  it('are changed one per call, as EC2 does: both DNS attributes at once are refused and neither is set', async () => {
    const { ec2 } = clients(fx.gateway.url);
    const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;
    const both = new ModifyVpcAttributeCommand({
      VpcId: vpcId,
      EnableDnsSupport: { Value: true },
      EnableDnsHostnames: { Value: true },
    });
    await expect(ec2.send(both)).rejects.toMatchObject({
      name: 'InvalidParameterCombination',
      message: expect.stringMatching(
        /^Fields for multiple attribute types specified: (enableDnsSupport, enableDnsHostnames|enableDnsHostnames, enableDnsSupport)$/,
      ),
    });
    const hostnames = () =>
      ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: 'enableDnsHostnames' }));
    expect((await hostnames()).EnableDnsHostnames?.Value).toBe(false);
    await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }));
    expect((await hostnames()).EnableDnsHostnames?.Value).toBe(true);
  });
});

describe('a NAT gateway through the gateway', () => {
  it('goes pending -> available -> deleting -> deleted, holding its Elastic IP until deleted', async () => {
    const { ec2 } = clients(fx.gateway.url);
    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const vpcId = vpc.Vpc!.VpcId!;
    const subnet = await ec2.send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.0.0/20', AvailabilityZone: 'us-east-1a' }),
    );
    const eip = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    // Each short-lived state is held while the test looks at it (sandbox/aws/timers.ts), however slow the machine.
    fx.gateway.timeline.hold();
    const created = await ec2.send(
      new CreateNatGatewayCommand({
        SubnetId: subnet.Subnet!.SubnetId!,
        AllocationId: eip.AllocationId!,
        TagSpecifications: [{ ResourceType: 'natgateway', Tags: [{ Key: 'meshops/mesh', Value: 'm1' }] }],
      }),
    );
    const id = created.NatGateway!.NatGatewayId!;
    expect(created.NatGateway!.State).toBe('pending');

    const byTag = () =>
      ec2.send(new DescribeNatGatewaysCommand({ Filter: [{ Name: 'tag:meshops/mesh', Values: ['m1'] }] }));
    const inState = (state: string) =>
      ec2.send(
        new DescribeNatGatewaysCommand({
          Filter: [
            { Name: 'vpc-id', Values: [vpcId] },
            { Name: 'state', Values: [state] },
          ],
        }),
      );
    expect((await byTag()).NatGateways!.map((n) => [n.NatGatewayId, n.State])).toEqual([[id, 'pending']]);
    expect((await inState('available')).NatGateways).toEqual([]);
    expect((await inState('pending')).NatGateways!.map((n) => n.NatGatewayId)).toEqual([id]);

    fx.gateway.timeline.release();
    await waitFor('available', async () => ((await byTag()).NatGateways![0].State === 'available' ? true : undefined));
    expect((await inState('available')).NatGateways!.map((n) => n.NatGatewayId)).toEqual([id]);

    const refused = await ec2
      .send(new ReleaseAddressCommand({ AllocationId: eip.AllocationId! }))
      .catch((e: Error) => e);
    expect(refused).toMatchObject({
      name: 'AuthFailure',
      message: 'You do not have permission to access the specified resource.',
    });

    const subnetInUse = await ec2
      .send(new DeleteSubnetCommand({ SubnetId: subnet.Subnet!.SubnetId! }))
      .catch((e: Error) => e);
    expect(subnetInUse).toMatchObject({ name: 'DependencyViolation' });
    const igw = await ec2.send(new CreateInternetGatewayCommand({}));
    const igwId = igw.InternetGateway!.InternetGatewayId!;
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId }));
    const mapped = await ec2
      .send(new DetachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId }))
      .catch((e: Error) => e);
    expect(mapped).toMatchObject({
      name: 'DependencyViolation',
      message: expect.stringContaining('mapped public address'),
    });

    fx.gateway.timeline.hold();
    await ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: id }));
    expect((await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [id] }))).NatGateways![0].State).toBe(
      'deleting',
    );
    const stillHeld = await ec2
      .send(new ReleaseAddressCommand({ AllocationId: eip.AllocationId! }))
      .catch((e: Error) => e);
    expect(stillHeld).toMatchObject({ name: 'AuthFailure' });
    fx.gateway.timeline.release();

    await waitFor('deleted', async () =>
      (await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [id] }))).NatGateways![0].State === 'deleted'
        ? true
        : undefined,
    );
    await fx.gateway.idle();
    fx.gateway.timeline.hold();
    const address = (await ec2.send(new DescribeAddressesCommand({ AllocationIds: [eip.AllocationId!] })))
      .Addresses![0];
    expect(address.AllocationId).toBe(eip.AllocationId);
    expect(address.AssociationId ?? '').toBe('');
    await ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: igwId, VpcId: vpcId }));
    await ec2.send(new DeleteSubnetCommand({ SubnetId: subnet.Subnet!.SubnetId! }));
    // Deleted, disassociated, and still not releasable for a while: what real accounts answer.
    const justDeleted = await ec2
      .send(new ReleaseAddressCommand({ AllocationId: eip.AllocationId! }))
      .catch((e: Error) => e);
    expect(justDeleted).toMatchObject({ name: 'AuthFailure' });
    fx.gateway.timeline.release();
    await waitFor(
      'the address to be releasable',
      async () =>
        await ec2
          .send(new ReleaseAddressCommand({ AllocationId: eip.AllocationId! }))
          .then(() => true)
          .catch(() => undefined),
    );
    await expect(ec2.send(new DescribeAddressesCommand({ AllocationIds: [eip.AllocationId!] }))).rejects.toThrow(
      /not found/,
    );
  });
});

describe('cross-region VPC peering through the gateway', () => {
  it('is pending-acceptance until accepted in the peer region, and the filters select as EC2 does', async () => {
    const east = clients(fx.gateway.url, 'us-east-1').ec2;
    const west = clients(fx.gateway.url, 'us-west-2').ec2;
    const v1 = (await east.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;
    const v2 = (await west.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }))).Vpc!.VpcId!;
    const other = (await east.send(new CreateVpcCommand({ CidrBlock: '10.7.0.0/16' }))).Vpc!.VpcId!;
    const pcx = await east.send(
      new CreateVpcPeeringConnectionCommand({
        VpcId: v1,
        PeerVpcId: v2,
        PeerRegion: 'us-west-2',
        TagSpecifications: [{ ResourceType: 'vpc-peering-connection', Tags: [{ Key: 'meshops:mesh', Value: 'm1' }] }],
      }),
    );
    const id = pcx.VpcPeeringConnection!.VpcPeeringConnectionId!;
    await east.send(new CreateVpcPeeringConnectionCommand({ VpcId: other, PeerVpcId: v2, PeerRegion: 'us-west-2' }));

    const ids = async (client: typeof east, Filters: Array<{ Name: string; Values: string[] }>) =>
      ((await client.send(new DescribeVpcPeeringConnectionsCommand({ Filters }))).VpcPeeringConnections ?? []).map(
        (p) => p.VpcPeeringConnectionId,
      );
    const pair = [
      { Name: 'requester-vpc-info.vpc-id', Values: [v1] },
      { Name: 'accepter-vpc-info.vpc-id', Values: [v2] },
    ];
    expect(await ids(east, pair)).toEqual([id]);
    expect(await ids(west, [...pair, { Name: 'status-code', Values: ['pending-acceptance'] }])).toEqual([id]);
    expect(await ids(west, [...pair, { Name: 'status-code', Values: ['active'] }])).toEqual([]);
    expect(await ids(east, [{ Name: 'tag:meshops:mesh', Values: ['m*'] }])).toEqual([id]);

    const wrongRegion = await east
      .send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id }))
      .catch((e: Error) => e);
    expect(wrongRegion).toMatchObject({ name: 'OperationNotPermitted' });
    await west.send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id }));
    expect(await ids(east, [...pair, { Name: 'status-code', Values: ['active'] }])).toEqual([id]);
  });
});

describe('failed resources on demand (sandbox/aws/resource-failures.ts)', () => {
  it('a NAT gateway that fails: pending, then failed with its reason; it lets its address go', async () => {
    const failures = hookResourceFailures(fx.gateway, TINY);
    const { ec2 } = clients(fx.gateway.url);
    const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.2.0.0/16' }))).Vpc!.VpcId!;
    const subnetId = (
      await ec2.send(
        new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.2.0.0/20', AvailabilityZone: 'us-east-1a' }),
      )
    ).Subnet!.SubnetId!;
    const eip = await ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
    failures.natFails('us-east-1');
    const created = await ec2.send(
      new CreateNatGatewayCommand({ SubnetId: subnetId, AllocationId: eip.AllocationId! }),
    );
    const id = created.NatGateway!.NatGatewayId!;
    expect(created.NatGateway!.State).toBe('pending');
    const failed = await waitFor('failed', async () => {
      const n = (await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [id] }))).NatGateways![0]!;
      return n.State === 'failed' ? n : undefined;
    });
    expect(failed).toMatchObject({
      FailureCode: 'InsufficientFreeAddressesInSubnet',
      FailureMessage: 'Subnet has insufficient free addresses to create this NAT gateway',
    });
    const live = await ec2.send(
      new DescribeNatGatewaysCommand({ Filter: [{ Name: 'state', Values: ['pending', 'available'] }] }),
    );
    expect(live.NatGateways!.map((n) => n.NatGatewayId)).not.toContain(id);
    await fx.gateway.idle();
    const [address] = (await ec2.send(new DescribeAddressesCommand({ AllocationIds: [eip.AllocationId!] }))).Addresses!;
    expect(address!.AssociationId ?? '').toBe('');
    // The next one is not armed: it becomes available.
    const next = await ec2.send(new CreateNatGatewayCommand({ SubnetId: subnetId, AllocationId: eip.AllocationId! }));
    await waitFor('available', async () =>
      (await ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [next.NatGateway!.NatGatewayId!] })))
        .NatGateways![0]!.State === 'available'
        ? true
        : undefined,
    );
    failures.clear();
  });

  it('a peering rejected or expired: both regions read it so, and it cannot be accepted', async () => {
    const failures = hookResourceFailures(fx.gateway, TINY);
    const east = clients(fx.gateway.url, 'us-east-1').ec2;
    const west = clients(fx.gateway.url, 'us-west-2').ec2;
    const v1 = (await east.send(new CreateVpcCommand({ CidrBlock: '10.3.0.0/16' }))).Vpc!.VpcId!;
    const v2 = (await west.send(new CreateVpcCommand({ CidrBlock: '10.4.0.0/16' }))).Vpc!.VpcId!;
    for (const [status, message] of [
      ['rejected', /^Rejected by \d{12}$/],
      ['expired', /^Expired$/],
    ] as const) {
      failures.peeringFails(status);
      const pcx = await east.send(
        new CreateVpcPeeringConnectionCommand({ VpcId: v1, PeerVpcId: v2, PeerRegion: 'us-west-2' }),
      );
      const id = pcx.VpcPeeringConnection!.VpcPeeringConnectionId!;
      for (const ec2 of [east, west]) {
        const seen = await ec2.send(new DescribeVpcPeeringConnectionsCommand({ VpcPeeringConnectionIds: [id] }));
        expect(seen.VpcPeeringConnections![0]!.Status).toEqual({
          Code: status,
          Message: expect.stringMatching(message),
        });
        const byStatus = await ec2.send(
          new DescribeVpcPeeringConnectionsCommand({ Filters: [{ Name: 'status-code', Values: [status] }] }),
        );
        expect(byStatus.VpcPeeringConnections!.map((p) => p.VpcPeeringConnectionId)).toContain(id);
      }
      const accept = await west
        .send(new AcceptVpcPeeringConnectionCommand({ VpcPeeringConnectionId: id }))
        .catch((e: Error) => e);
      expect(accept).toMatchObject({ name: 'InvalidStateTransition' });
    }
    failures.clear();
  });
});

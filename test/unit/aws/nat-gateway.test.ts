// The NAT gateway module against an in-memory EC2: its ensure, health and remove, with the waits AWS needs.
import { describe, expect, it } from 'vitest';
import { clusterScope } from '../../../src/mesh/aws/common.ts';
import * as nat from '../../../src/mesh/aws/nat-gateway.ts';
import { awsError, fakeAws, fakeClock, fakeContext, fakeDeps, spec, tags } from './fake-aws.ts';

const meshTags = (component: string, az?: string) =>
  tags({
    'meshops:mesh': 'm',
    'meshops:cluster': 'iad',
    'meshops:component': component,
    Name: ['m', 'iad', component, az].filter(Boolean).join('-'),
  });

function world() {
  const clock = fakeClock();
  const publicSubnets = [
    { SubnetId: 'subnet-a', CidrBlock: '10.0.0.0/20', AvailabilityZone: 'us-east-1a', Tags: meshTags('subnet-public') },
    {
      SubnetId: 'subnet-b',
      CidrBlock: '10.0.16.0/20',
      AvailabilityZone: 'us-east-1b',
      Tags: meshTags('subnet-public'),
    },
  ];
  type FakeNat = { NatGatewayId: string; SubnetId: string; State: string; readyAt: number; Tags: unknown };
  const nats: Array<FakeNat & { NatGatewayAddresses: unknown[]; failWith?: [string, string] }> = [];
  const addresses: Array<{ AllocationId: string; Tags: unknown; AssociationId?: string }> = [];
  const fake = fakeAws({
    ec2: {
      DescribeSubnets: () => ({ Subnets: publicSubnets }),
      DescribeAddresses: () => ({ Addresses: addresses }),
      AllocateAddress: (i) => {
        const a = { AllocationId: `eipalloc-${addresses.length + 1}`, Tags: i.TagSpecifications[0].Tags };
        addresses.push(a);
        return { AllocationId: a.AllocationId, PublicIp: '198.51.100.1' };
      },
      CreateNatGateway: (i) => {
        const n = {
          NatGatewayId: `nat-${nats.length + 1}`,
          SubnetId: i.SubnetId,
          State: 'pending',
          readyAt: clock.now() + 90_000,
          Tags: i.TagSpecifications[0].Tags,
          NatGatewayAddresses: [{ AllocationId: i.AllocationId }],
        };
        nats.push(n);
        return { NatGateway: n };
      },
      DescribeNatGateways: (i) => {
        for (const n of nats) {
          if (n.State !== 'pending' || clock.now() < n.readyAt) continue;
          if (n.failWith)
            Object.assign(n, { State: 'failed', FailureCode: n.failWith[0], FailureMessage: n.failWith[1] });
          else n.State = 'available';
        }
        const bySubnet = (i.Filter ?? []).find((f: { Name: string }) => f.Name === 'subnet-id')?.Values;
        const ids = i.NatGatewayIds as string[] | undefined;
        return {
          NatGateways: nats.filter(
            (n) => (!bySubnet || bySubnet.includes(n.SubnetId)) && (!ids || ids.includes(n.NatGatewayId)),
          ),
        };
      },
    },
  });
  const deps = fakeDeps(fake.aws, clock, spec());
  return { clock, fake, deps, nats, addresses, s: clusterScope(deps, deps.spec.clusters[0]!) };
}

describe('NAT gateway: ensure', () => {
  it('allocates an address, makes the NAT gateway, waits while it is pending, and says what it waited for', async () => {
    const w = world();
    const notes: string[] = [];
    expect(await nat.observe(w.s, 0)).toEqual({ state: 'missing', detail: 'us-east-1a' });
    const out = await nat.ensure(w.s, 0, fakeContext(w.clock, notes));
    expect(out).toMatchObject({ changed: true, resources: { nat: 'nat-1', eip: 'eipalloc-1' } });
    expect(out.summary).toBe('NAT gateway ready: nat-1 in us-east-1a (subnet-a), Elastic IP eipalloc-1');
    expect(notes.some((n) => n.startsWith('NAT gateway nat-1 (us-east-1a): pending'))).toBe(true);
    expect(w.fake.called('CreateNatGateway')[0]!.input).toMatchObject({
      SubnetId: 'subnet-a',
      AllocationId: 'eipalloc-1',
    });

    const again = await nat.ensure(w.s, 0, fakeContext(w.clock));
    expect(again).toMatchObject({ changed: false, summary: expect.stringMatching(/^NAT gateway exists: nat-1/) });
    expect(w.fake.called('CreateNatGateway')).toHaveLength(1);
    expect(await nat.observe(w.s, 0)).toEqual({ state: 'ok', detail: 'nat-1 in us-east-1a' });
  });

  it('reuses the address an earlier run allocated before it stopped', async () => {
    const w = world();
    w.addresses.push({ AllocationId: 'eipalloc-left', Tags: meshTags('eip', 'us-east-1b') });
    await nat.ensure(w.s, 1, fakeContext(w.clock));
    expect(w.fake.called('AllocateAddress')).toHaveLength(0);
    expect(w.fake.called('CreateNatGateway')[0]!.input.AllocationId).toBe('eipalloc-left');
  });

  it('fails with the reason when the NAT gateway ends failed', async () => {
    const w = world();
    w.nats.push({
      NatGatewayId: 'nat-x',
      SubnetId: 'subnet-a',
      State: 'pending',
      readyAt: w.clock.now() + 30_000,
      Tags: meshTags('nat', 'us-east-1a'),
      NatGatewayAddresses: [],
      failWith: ['InsufficientFreeAddressesInSubnet', 'no free address'],
    });
    // Permanent (AWS does not repair it), naming the state, EC2's reason, and what `up` does next time.
    await expect(nat.ensure(w.s, 0, fakeContext(w.clock))).rejects.toMatchObject({
      name: 'PermanentError',
      message: 'NAT gateway nat-x (us-east-1a) is failed: InsufficientFreeAddressesInSubnet: no free address',
      hint: expect.stringMatching(/once the cause is fixed, `\/mesh up` makes a new one in us-east-1a/),
    });
    expect(w.fake.called('CreateNatGateway')).toHaveLength(0);
  });
});

describe('NAT gateway: health', () => {
  it('is ok when available, a warning while pending, failing when failed, and counts the AZs', () => {
    expect(nat.health([])).toEqual([{ health: 'absent', subject: 'NAT gateways', detail: 'none (0/2)' }]);
    const lines = nat.health([
      { NatGatewayId: 'nat-1', State: 'available', SubnetId: 's1' },
      { NatGatewayId: 'nat-2', State: 'failed', SubnetId: 's2', FailureMessage: 'capacity' },
    ]);
    expect(lines.map((l) => [l.health, l.detail])).toEqual([
      ['ok', 'available in s1'],
      ['failing', 'failed in s2: capacity'],
      ['warning', '1/2 (one per AZ expected)'],
    ]);
  });
});

describe('NAT gateway: remove and the Elastic IPs', () => {
  it('deletes the NAT gateways and waits until they are deleted', async () => {
    const clock = fakeClock();
    let deletedAt = 0;
    const fake = fakeAws({
      ec2: {
        DeleteNatGateway: () => {
          deletedAt = clock.now();
          return { NatGatewayId: 'nat-1' };
        },
        DescribeNatGateways: () => ({
          NatGateways: [{ NatGatewayId: 'nat-1', State: clock.now() - deletedAt > 60_000 ? 'deleted' : 'deleting' }],
        }),
      },
    });
    const deps = fakeDeps(fake.aws, clock);
    const out = await nat.remove(deps, fakeContext(clock), 'us-east-1', ['nat-1']);
    expect(out.summary).toBe('us-east-1: deleted NAT gateways nat-1');
    expect(clock.now() - deletedAt).toBeGreaterThan(60_000);
  });

  it('keeps releasing an address while AWS answers AuthFailure (after the NAT gateway is gone), then reports it', async () => {
    const clock = fakeClock();
    const releasableAt = clock.now() + 45_000;
    const fake = fakeAws({
      ec2: {
        ReleaseAddress: () => {
          if (clock.now() < releasableAt)
            throw awsError('AuthFailure', 'You do not have permission to access the specified resource.');
          return {};
        },
      },
    });
    const deps = fakeDeps(fake.aws, clock);
    const out = await nat.releaseAddresses(deps, fakeContext(clock), 'us-east-1', ['eipalloc-1']);
    expect(out.summary).toBe('us-east-1: deleted Elastic IPs eipalloc-1');
    expect(fake.called('ReleaseAddress').length).toBeGreaterThan(1);
  });

  it('says the address is already gone when AWS does not know it', async () => {
    const clock = fakeClock();
    const fake = fakeAws({ ec2: { ReleaseAddress: () => Promise.reject(awsError('InvalidAllocationID.NotFound')) } });
    const out = await nat.releaseAddresses(fakeDeps(fake.aws, clock), fakeContext(clock), 'us-east-1', ['eipalloc-9']);
    expect(out).toMatchObject({ summary: 'us-east-1: already gone: eipalloc-9', changed: false });
  });
});

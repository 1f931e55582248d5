// The VPC, internet gateway, route table and subnet modules against an in-memory EC2.
import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../../src/errors.ts';
import { clusterScope } from '../../../src/mesh/aws/common.ts';
import * as igw from '../../../src/mesh/aws/internet-gateway.ts';
import * as routes from '../../../src/mesh/aws/route-tables.ts';
import * as subnets from '../../../src/mesh/aws/subnets.ts';
import * as vpc from '../../../src/mesh/aws/vpc.ts';
import { awsError, fakeAws, fakeClock, fakeContext, fakeDeps, tags } from './fake-aws.ts';

const own = (component: string) =>
  tags({ 'meshops:mesh': 'm', 'meshops:cluster': 'iad', 'meshops:component': component, Name: `m-iad-${component}` });

describe('VPC', () => {
  it('creates the VPC with its tags, turns DNS support and hostnames on one call each, and is idempotent', async () => {
    const vpcs: Array<Record<string, unknown>> = [];
    const attrs = { enableDnsSupport: true, enableDnsHostnames: false };
    const fake = fakeAws({
      ec2: {
        DescribeVpcs: () => ({ Vpcs: vpcs }),
        CreateVpc: (i) => {
          const v = { VpcId: 'vpc-1', CidrBlock: i.CidrBlock, State: 'available', Tags: i.TagSpecifications[0].Tags };
          vpcs.push(v);
          return { Vpc: v };
        },
        DescribeVpcAttribute: (i) =>
          i.Attribute === 'enableDnsSupport'
            ? { EnableDnsSupport: { Value: attrs.enableDnsSupport } }
            : { EnableDnsHostnames: { Value: attrs.enableDnsHostnames } },
        ModifyVpcAttribute: (i) => {
          if (i.EnableDnsSupport && i.EnableDnsHostnames) throw awsError('InvalidParameterCombination');
          if (i.EnableDnsHostnames) attrs.enableDnsHostnames = true;
          return {};
        },
      },
    });
    const clock = fakeClock();
    const s = clusterScope(fakeDeps(fake.aws, clock), fakeDeps(fake.aws).spec.clusters[0]!);
    expect(await vpc.observe(s)).toEqual({ state: 'missing', detail: '10.0.0.0/16' });
    expect(await vpc.observeDns(s)).toEqual({ state: 'missing', detail: 'on in the new VPC' });
    const out = await vpc.ensure(s, fakeContext(clock));
    expect(out).toMatchObject({ changed: true, resources: { vpc: 'vpc-1' } });
    expect(await vpc.observeDns(s)).toEqual({ state: 'repair', detail: 'DNS hostnames off in vpc-1' });
    expect(await vpc.ensureDns(s)).toMatchObject({
      changed: true,
      summary: 'DNS support and DNS hostnames turned on in vpc-1',
    });
    expect(attrs.enableDnsHostnames).toBe(true);
    expect(fake.called('ModifyVpcAttribute').map((c) => Object.keys(c.input).sort())).toEqual([
      ['EnableDnsHostnames', 'VpcId'],
    ]);
    expect((await vpc.ensureDns(s)).changed).toBe(false);
    expect(fake.called('CreateVpc')[0]!.input.TagSpecifications[0].Tags).toContainEqual({
      Key: 'meshops:component',
      Value: 'vpc',
    });
    expect((await vpc.ensure(s, fakeContext(clock))).changed).toBe(false);
    expect(fake.called('CreateVpc')).toHaveLength(1);
    expect(vpc.health(s, [...vpcs, { VpcId: 'vpc-2', CidrBlock: '10.0.0.0/16' }]).map((l) => l.health)).toEqual([
      'ok',
      'warning',
    ]);
  });

  it("refuses a VPC of the cluster whose CIDR is not the spec's", async () => {
    const fake = fakeAws({
      ec2: { DescribeVpcs: () => ({ Vpcs: [{ VpcId: 'vpc-9', CidrBlock: '10.9.0.0/16', Tags: own('vpc') }] }) },
    });
    const deps = fakeDeps(fake.aws);
    const err = await vpc.ensure(clusterScope(deps, deps.spec.clusters[0]!), fakeContext(deps.clock)).catch((e) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.code).toBe('VpcCidrMismatch');
  });

  it('retries DeleteVpc while a dependency is in the way, and names the interfaces left when it gives up', async () => {
    const clock = fakeClock();
    const fake = fakeAws({
      ec2: {
        DeleteVpc: () => Promise.reject(awsError('DependencyViolation', "The vpc 'vpc-1' has dependencies")),
        DescribeNetworkInterfaces: () => ({
          NetworkInterfaces: [{ NetworkInterfaceId: 'eni-1', Description: 'ELB app/k8s-web' }],
        }),
      },
    });
    const err = await vpc.remove(fakeDeps(fake.aws, clock), fakeContext(clock), 'us-east-1', ['vpc-1']).catch((e) => e);
    expect(err.message).toMatch(/^could not delete VPC vpc-1: still blocked after 10 min \(DependencyViolation: /);
    expect(err.message).toContain('eni-1 (ELB app/k8s-web)');
  });
});

describe('internet gateway', () => {
  it('detaches (retrying while addresses are mapped), then deletes', async () => {
    const clock = fakeClock();
    const unmappedAt = clock.now() + 20_000;
    const fake = fakeAws({
      ec2: {
        DetachInternetGateway: () => {
          if (clock.now() < unmappedAt)
            throw awsError('DependencyViolation', 'Network vpc-1 has some mapped public address(es).');
          return {};
        },
        DeleteInternetGateway: () => ({}),
      },
    });
    const g = { InternetGatewayId: 'igw-1', Attachments: [{ VpcId: 'vpc-1', State: 'attached' as const }] };
    const out = await igw.remove(fakeDeps(fake.aws, clock), fakeContext(clock), 'us-east-1', [g]);
    expect(out.summary).toBe('us-east-1: deleted internet gateways igw-1');
    expect(fake.called('DetachInternetGateway').length).toBeGreaterThan(1);
  });

  it('health: ok when attached to the cluster VPC, a warning when not', () => {
    const g = { InternetGatewayId: 'igw-1', Attachments: [{ VpcId: 'vpc-1' }] };
    expect(igw.health([g], { VpcId: 'vpc-1' })[0]!.health).toBe('ok');
    expect(igw.health([g], { VpcId: 'vpc-2' })[0]).toMatchObject({
      health: 'warning',
      detail: 'not attached to the VPC',
    });
    expect(igw.health([], undefined)[0]!.health).toBe('absent');
  });
});

describe('routes', () => {
  const table = (routesIn: Array<Record<string, string>>) => ({ RouteTableId: 'rtb-1', Routes: routesIn });

  it('leaves a route with the right target, replaces a stale or blackholed one, creates a missing one', async () => {
    const fake = fakeAws({ ec2: { CreateRoute: () => ({}), ReplaceRoute: () => ({}) } });
    const ec2 = fake.aws.ec2('us-east-1');
    const target = { NatGatewayId: 'nat-1' };
    expect(
      await routes.ensureRoute(
        ec2,
        table([{ DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-1' }]),
        '0.0.0.0/0',
        target,
      ),
    ).toBe(false);
    expect(
      await routes.ensureRoute(
        ec2,
        table([{ DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-0' }]),
        '0.0.0.0/0',
        target,
      ),
    ).toBe(true);
    const blackhole = { DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-1', State: 'blackhole' };
    expect(await routes.ensureRoute(ec2, table([blackhole]), '0.0.0.0/0', target)).toBe(true);
    expect(await routes.ensureRoute(ec2, table([]), '0.0.0.0/0', target)).toBe(true);
    expect(fake.calls.map((c) => c.name)).toEqual(['ReplaceRoute', 'ReplaceRoute', 'CreateRoute']);
  });

  it('points a route made meanwhile by another run (RouteAlreadyExists) at the right target', async () => {
    const fake = fakeAws({
      ec2: { CreateRoute: () => Promise.reject(awsError('RouteAlreadyExists')), ReplaceRoute: () => ({}) },
    });
    expect(
      await routes.ensureRoute(fake.aws.ec2('us-east-1'), table([]), '10.1.0.0/16', {
        VpcPeeringConnectionId: 'pcx-1',
      }),
    ).toBe(true);
    expect(fake.called('ReplaceRoute')[0]!.input).toMatchObject({ VpcPeeringConnectionId: 'pcx-1' });
  });

  it('never deletes the main table on its own', () => {
    const main = { RouteTableId: 'rtb-main', Associations: [{ Main: true }] };
    const mine = { RouteTableId: 'rtb-mine', Associations: [{ Main: false, SubnetId: 's' }] };
    expect(routes.removable([main, mine]).map((t) => t.RouteTableId)).toEqual(['rtb-mine']);
  });
});

describe('subnets', () => {
  it('a fresh cluster reads its VPC, both kinds of subnet and the zones in one round trip, then makes the four at once', async () => {
    // Every read is answered only once all four are asked: one after another, the step would never get past the first.
    const reads = ['DescribeVpcs', 'DescribeSubnets', 'DescribeAvailabilityZones', 'DescribeInstanceTypeOfferings'];
    let asked = 0;
    let allAsked!: () => void;
    const together = new Promise<void>((r) => {
      allAsked = r;
    });
    const read =
      <T>(answer: T) =>
      async () => {
        if (++asked === reads.length) allAsked();
        await together;
        return answer;
      };
    const fake = fakeAws({
      ec2: {
        DescribeVpcs: read({ Vpcs: [{ VpcId: 'vpc-1', CidrBlock: '10.0.0.0/16', Tags: own('vpc') }] }),
        DescribeSubnets: read({ Subnets: [] }),
        DescribeAvailabilityZones: read({
          AvailabilityZones: [
            { ZoneName: 'us-east-1a', ZoneId: 'use1-az1' },
            { ZoneName: 'us-east-1b', ZoneId: 'use1-az2' },
          ],
        }),
        DescribeInstanceTypeOfferings: read({
          InstanceTypeOfferings: [{ Location: 'use1-az1' }, { Location: 'use1-az2' }],
        }),
        CreateSubnet: (i) => ({ Subnet: { SubnetId: `subnet-${i.CidrBlock}` } }),
      },
    });
    const deps = fakeDeps(fake.aws);
    const out = await subnets.ensure(clusterScope(deps, deps.spec.clusters[0]!), fakeContext(deps.clock));
    expect(out.changed).toBe(true);
    const order = fake.calls.map((c) => c.name);
    expect(order.slice(0, 4).sort()).toEqual([...reads].sort());
    expect(order.slice(4)).toEqual(Array(4).fill('CreateSubnet'));
    expect(fake.called('CreateSubnet').map((c) => c.input.AvailabilityZone)).toEqual([
      'us-east-1a',
      'us-east-1b',
      'us-east-1a',
      'us-east-1b',
    ]);
  });

  it('health counts the four subnets', () => {
    expect(subnets.health([]).map((l) => l.health)).toEqual(['absent']);
    expect(subnets.health([{}, {}]).map((l) => l.health)).toEqual(['warning']);
    expect(subnets.health([{}, {}, {}, {}])[0]).toMatchObject({
      health: 'ok',
      detail: '4/4 (public and private in two AZs)',
    });
  });
});

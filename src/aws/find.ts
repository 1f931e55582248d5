// Finding what meshops made, by its tags. Shared by up (idempotency), status and down.
import {
  DescribeAddressesCommand,
  DescribeAvailabilityZonesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcPeeringConnectionsCommand,
  DescribeVpcsCommand,
} from '@aws-sdk/client-ec2';
import type {
  Address,
  EC2Client,
  Filter,
  InternetGateway,
  NatGateway,
  RouteTable,
  SecurityGroup,
  Subnet,
  Vpc,
  VpcPeeringConnection,
} from '@aws-sdk/client-ec2';
import { aws } from './errors.ts';
import { meshFilters } from './tags.ts';
import type { Component } from './tags.ts';

export interface Scope {
  mesh: string;
  cluster?: string;
  component?: Component;
  name?: string;
}

/** NAT gateways that exist or are on their way (failed/deleting/deleted ones are history, not resources). */
export const LIVE_NAT_STATES = ['pending', 'available'];
/** Peering connections that still count; deleted/failed/rejected/expired ones are ignored. */
export const LIVE_PEERING_STATES = ['initiating-request', 'pending-acceptance', 'provisioning', 'active'];

export async function findVpcs(ec2: EC2Client, s: Scope): Promise<Vpc[]> {
  const out = await aws('ec2:DescribeVpcs', () => ec2.send(new DescribeVpcsCommand({ Filters: meshFilters(s.mesh, s) })));
  return out.Vpcs ?? [];
}

/** The cluster's VPC; the oldest first if a race ever made two (status reports the extra). */
export async function findVpc(ec2: EC2Client, mesh: string, cluster: string): Promise<Vpc | undefined> {
  return (await findVpcs(ec2, { mesh, cluster, component: 'vpc' }))[0];
}

export async function findSubnets(ec2: EC2Client, s: Scope, extra: Filter[] = []): Promise<Subnet[]> {
  const out = await aws('ec2:DescribeSubnets', () =>
    ec2.send(new DescribeSubnetsCommand({ Filters: [...meshFilters(s.mesh, s), ...extra] })),
  );
  return out.Subnets ?? [];
}

export async function findInternetGateways(ec2: EC2Client, s: Scope): Promise<InternetGateway[]> {
  const out = await aws('ec2:DescribeInternetGateways', () =>
    ec2.send(new DescribeInternetGatewaysCommand({ Filters: meshFilters(s.mesh, s) })),
  );
  return out.InternetGateways ?? [];
}

export async function findNatGateways(ec2: EC2Client, s: Scope, extra: Filter[] = [], states = LIVE_NAT_STATES): Promise<NatGateway[]> {
  const filters = [...meshFilters(s.mesh, s), ...extra];
  if (states.length) filters.push({ Name: 'state', Values: states });
  const out = await aws('ec2:DescribeNatGateways', () => ec2.send(new DescribeNatGatewaysCommand({ Filter: filters })));
  return out.NatGateways ?? [];
}

export async function findAddresses(ec2: EC2Client, s: Scope): Promise<Address[]> {
  const out = await aws('ec2:DescribeAddresses', () => ec2.send(new DescribeAddressesCommand({ Filters: meshFilters(s.mesh, s) })));
  return out.Addresses ?? [];
}

export async function findRouteTables(ec2: EC2Client, s: Scope, extra: Filter[] = []): Promise<RouteTable[]> {
  const out = await aws('ec2:DescribeRouteTables', () =>
    ec2.send(new DescribeRouteTablesCommand({ Filters: [...meshFilters(s.mesh, s), ...extra] })),
  );
  return out.RouteTables ?? [];
}

export async function describeRouteTables(ec2: EC2Client, filters: Filter[]): Promise<RouteTable[]> {
  const out = await aws('ec2:DescribeRouteTables', () => ec2.send(new DescribeRouteTablesCommand({ Filters: filters })));
  return out.RouteTables ?? [];
}

export async function findSecurityGroups(ec2: EC2Client, s: Scope): Promise<SecurityGroup[]> {
  const out = await aws('ec2:DescribeSecurityGroups', () =>
    ec2.send(new DescribeSecurityGroupsCommand({ Filters: meshFilters(s.mesh, s) })),
  );
  return out.SecurityGroups ?? [];
}

export async function describeSecurityGroup(ec2: EC2Client, groupId: string): Promise<SecurityGroup | undefined> {
  const out = await aws('ec2:DescribeSecurityGroups', () => ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] })));
  return out.SecurityGroups?.[0];
}

export async function describePeerings(ec2: EC2Client, filters: Filter[], states = LIVE_PEERING_STATES): Promise<VpcPeeringConnection[]> {
  const all = [...filters];
  if (states.length) all.push({ Name: 'status-code', Values: states });
  const out = await aws('ec2:DescribeVpcPeeringConnections', () =>
    ec2.send(new DescribeVpcPeeringConnectionsCommand({ Filters: all })),
  );
  return out.VpcPeeringConnections ?? [];
}

/** Live peering connections between two VPCs, whichever side requested them. */
export async function findPeeringsBetween(ec2: EC2Client, vpcA: string, vpcB: string): Promise<VpcPeeringConnection[]> {
  const [ab, ba] = await Promise.all([
    describePeerings(ec2, [
      { Name: 'requester-vpc-info.vpc-id', Values: [vpcA] },
      { Name: 'accepter-vpc-info.vpc-id', Values: [vpcB] },
    ]),
    describePeerings(ec2, [
      { Name: 'requester-vpc-info.vpc-id', Values: [vpcB] },
      { Name: 'accepter-vpc-info.vpc-id', Values: [vpcA] },
    ]),
  ]);
  return [...ab, ...ba];
}

/** The two AZs for a cluster's subnets: the spec's, or the first two (by name) the region offers. */
export async function chooseAvailabilityZones(ec2: EC2Client, specAzs: string[] | undefined): Promise<[string, string]> {
  if (specAzs && specAzs.length >= 2) return [specAzs[0]!, specAzs[1]!];
  const out = await aws('ec2:DescribeAvailabilityZones', () =>
    ec2.send(
      new DescribeAvailabilityZonesCommand({
        Filters: [
          { Name: 'state', Values: ['available'] },
          { Name: 'zone-type', Values: ['availability-zone'] },
        ],
      }),
    ),
  );
  const names = (out.AvailabilityZones ?? []).map((z) => z.ZoneName!).filter(Boolean).sort();
  if (names.length < 2) throw new Error(`the region offers ${names.length} availability zone(s); EKS needs two`);
  return [names[0]!, names[1]!];
}

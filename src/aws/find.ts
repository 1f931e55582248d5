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

type Tagged = { Tags?: { Key?: string; Value?: string }[] };

/**
 * Applies the tag filters again on our side. AWS applies them itself, but some EC2-compatible endpoints (moto
 * for NAT gateways and peering connections) ignore filters they do not know: a find must never return another
 * mesh's resources, since down deletes what find returns.
 */
export function keepMatching<T extends Tagged>(items: T[], filters: Filter[]): T[] {
  const tagFilters = filters.filter((f) => f.Name?.startsWith('tag:'));
  return items.filter((item) =>
    tagFilters.every((f) => {
      const key = f.Name!.slice('tag:'.length);
      const v = item.Tags?.find((t) => t.Key === key)?.Value;
      return v !== undefined && (f.Values ?? []).includes(v);
    }),
  );
}

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
  const filters = meshFilters(s.mesh, s);
  const out = await aws('ec2:DescribeVpcs', () => ec2.send(new DescribeVpcsCommand({ Filters: filters })));
  return keepMatching(out.Vpcs ?? [], filters);
}

/** The cluster's VPC (if a race ever made two, the first listed; status reports the extra one). */
export async function findVpc(ec2: EC2Client, mesh: string, cluster: string): Promise<Vpc | undefined> {
  return (await findVpcs(ec2, { mesh, cluster, component: 'vpc' }))[0];
}

export async function findSubnets(ec2: EC2Client, s: Scope, extra: Filter[] = []): Promise<Subnet[]> {
  const filters = [...meshFilters(s.mesh, s), ...extra];
  const out = await aws('ec2:DescribeSubnets', () => ec2.send(new DescribeSubnetsCommand({ Filters: filters })));
  return keepMatching(out.Subnets ?? [], filters);
}

export async function findInternetGateways(ec2: EC2Client, s: Scope): Promise<InternetGateway[]> {
  const filters = meshFilters(s.mesh, s);
  const out = await aws('ec2:DescribeInternetGateways', () => ec2.send(new DescribeInternetGatewaysCommand({ Filters: filters })));
  return keepMatching(out.InternetGateways ?? [], filters);
}

export async function findNatGateways(ec2: EC2Client, s: Scope, extra: Filter[] = [], states = LIVE_NAT_STATES): Promise<NatGateway[]> {
  const filters = [...meshFilters(s.mesh, s), ...extra];
  if (states.length) filters.push({ Name: 'state', Values: states });
  const out = await aws('ec2:DescribeNatGateways', () => ec2.send(new DescribeNatGatewaysCommand({ Filter: filters })));
  return keepMatching(out.NatGateways ?? [], filters).filter((n) => !states.length || states.includes(n.State!));
}

export async function findAddresses(ec2: EC2Client, s: Scope): Promise<Address[]> {
  const filters = meshFilters(s.mesh, s);
  const out = await aws('ec2:DescribeAddresses', () => ec2.send(new DescribeAddressesCommand({ Filters: filters })));
  return keepMatching(out.Addresses ?? [], filters);
}

export async function findRouteTables(ec2: EC2Client, s: Scope, extra: Filter[] = []): Promise<RouteTable[]> {
  const filters = [...meshFilters(s.mesh, s), ...extra];
  const out = await aws('ec2:DescribeRouteTables', () => ec2.send(new DescribeRouteTablesCommand({ Filters: filters })));
  return keepMatching(out.RouteTables ?? [], filters);
}

export async function describeRouteTables(ec2: EC2Client, filters: Filter[]): Promise<RouteTable[]> {
  const out = await aws('ec2:DescribeRouteTables', () => ec2.send(new DescribeRouteTablesCommand({ Filters: filters })));
  return out.RouteTables ?? [];
}

export async function findSecurityGroups(ec2: EC2Client, s: Scope): Promise<SecurityGroup[]> {
  const filters = meshFilters(s.mesh, s);
  const out = await aws('ec2:DescribeSecurityGroups', () => ec2.send(new DescribeSecurityGroupsCommand({ Filters: filters })));
  return keepMatching(out.SecurityGroups ?? [], filters);
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
  const only = (f: Filter | undefined, value: string | undefined) => !f || (value !== undefined && (f.Values ?? []).includes(value));
  const by = (name: string) => all.find((f) => f.Name === name);
  return keepMatching(out.VpcPeeringConnections ?? [], all).filter(
    (p) =>
      only(by('status-code'), p.Status?.Code) &&
      only(by('requester-vpc-info.vpc-id'), p.RequesterVpcInfo?.VpcId) &&
      only(by('accepter-vpc-info.vpc-id'), p.AccepterVpcInfo?.VpcId),
  );
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

/** Every live peering one VPC takes part in, either side: two reads, whatever the number of peers. */
export async function findPeeringsOf(ec2: EC2Client, vpcId: string): Promise<VpcPeeringConnection[]> {
  const [asRequester, asAccepter] = await Promise.all([
    describePeerings(ec2, [{ Name: 'requester-vpc-info.vpc-id', Values: [vpcId] }]),
    describePeerings(ec2, [{ Name: 'accepter-vpc-info.vpc-id', Values: [vpcId] }]),
  ]);
  return [...asRequester, ...asAccepter];
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

// A cluster's route tables: one public (0.0.0.0/0 to the internet gateway, both public subnets) and one private
// per AZ (0.0.0.0/0 to that AZ's NAT gateway). Routes are made idempotent: one already there with the same
// target is left alone, one with a stale target (a NAT or peering since replaced) is pointed at the right one.
// The routes to peer VPCs are the peering's (peering.ts); the main table goes with its VPC.

import type { EC2Client, Filter, Route, RouteTable } from '@aws-sdk/client-ec2';
import {
  AssociateRouteTableCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  DeleteRouteTableCommand,
  DescribeRouteTablesCommand,
  DisassociateRouteTableCommand,
  ReplaceRouteCommand,
  ReplaceRouteTableAssociationCommand,
} from '@aws-sdk/client-ec2';
import { aws, awsOrMissing, isAwsError } from '../../aws/errors.ts';
import { keepMatching, type Scope } from '../../aws/find.ts';
import { type Component, meshFilters, resourceName, tagSpec } from '../../aws/tags.ts';
import type { Deps } from '../../deps.ts';
import type { Observation, StepContext, StepOutcome } from '../../steps/step.ts';
import { AZ_INDEXES, type ClusterScope, clusterTags, deleteRetrying, removedOutcome } from './common.ts';
import { findOne as findInternetGateway } from './internet-gateway.ts';
import { natOf } from './nat-gateway.ts';
import { requireSubnet } from './subnets.ts';
import { requireVpc } from './vpc.ts';

export type RouteTarget = { GatewayId: string } | { NatGatewayId: string } | { VpcPeeringConnectionId: string };

export async function findRouteTables(ec2: EC2Client, s: Scope, extra: Filter[] = []): Promise<RouteTable[]> {
  const filters = [...meshFilters(s.mesh, s), ...extra];
  const out = await aws('ec2:DescribeRouteTables', () =>
    ec2.send(new DescribeRouteTablesCommand({ Filters: filters })),
  );
  return keepMatching(out.RouteTables ?? [], filters);
}

export async function describeRouteTables(ec2: EC2Client, filters: Filter[]): Promise<RouteTable[]> {
  const out = await aws('ec2:DescribeRouteTables', () =>
    ec2.send(new DescribeRouteTablesCommand({ Filters: filters })),
  );
  return out.RouteTables ?? [];
}

export async function privateTables(deps: Deps, mesh: string, cluster: { name: string; region: string }) {
  return findRouteTables(deps.aws.ec2(cluster.region), { mesh, cluster: cluster.name, component: 'rtb-private' });
}

function targetId(t: RouteTarget): string {
  return Object.values(t)[0] as string;
}

function routeTargets(r: Route): string[] {
  return [r.GatewayId, r.NatGatewayId, r.VpcPeeringConnectionId].filter((x): x is string => !!x);
}

/** Ensures `dest -> target` in the table; returns true when it had to create or replace the route. */
export async function ensureRoute(
  ec2: EC2Client,
  table: RouteTable,
  dest: string,
  target: RouteTarget,
): Promise<boolean> {
  const existing = (table.Routes ?? []).find((r) => r.DestinationCidrBlock === dest);
  if (existing && routeTargets(existing).includes(targetId(target)) && existing.State !== 'blackhole') return false;
  const input = { RouteTableId: table.RouteTableId!, DestinationCidrBlock: dest, ...target };
  if (existing) {
    await aws('ec2:ReplaceRoute', () => ec2.send(new ReplaceRouteCommand(input)));
    return true;
  }
  try {
    await aws('ec2:CreateRoute', () => ec2.send(new CreateRouteCommand(input)));
  } catch (err) {
    // Made by a concurrent or crashed earlier run since we looked: point it where it must go.
    if (!isAwsError(err, 'RouteAlreadyExists')) throw err;
    await aws('ec2:ReplaceRoute', () => ec2.send(new ReplaceRouteCommand(input)));
  }
  return true;
}

/** Ensures the subnet uses this table (moving it from another non-main table if needed); true when changed. */
export async function ensureAssociation(ec2: EC2Client, table: RouteTable, subnetId: string): Promise<boolean> {
  if ((table.Associations ?? []).some((a) => a.SubnetId === subnetId)) return false;
  const current = await describeRouteTables(ec2, [{ Name: 'association.subnet-id', Values: [subnetId] }]);
  const assoc = current.flatMap((t) => t.Associations ?? []).find((a) => a.SubnetId === subnetId);
  const RouteTableId = table.RouteTableId!;
  if (assoc?.RouteTableAssociationId) {
    const AssociationId = assoc.RouteTableAssociationId;
    await aws('ec2:ReplaceRouteTableAssociation', () =>
      ec2.send(new ReplaceRouteTableAssociationCommand({ AssociationId, RouteTableId })),
    );
    return true;
  }
  await aws('ec2:AssociateRouteTable', () =>
    ec2.send(new AssociateRouteTableCommand({ RouteTableId, SubnetId: subnetId })),
  );
  return true;
}

async function ensureTable(s: ClusterScope, ctx: StepContext, vpcId: string, component: Component, az?: string) {
  const name = resourceName(s.mesh, s.cluster.name, component, az);
  const found = (await findRouteTables(s.ec2, { mesh: s.mesh, cluster: s.cluster.name, component, name }))[0];
  if (found) return { table: found, made: false };
  const out = await aws('ec2:CreateRouteTable', () =>
    s.ec2.send(
      new CreateRouteTableCommand({
        VpcId: vpcId,
        TagSpecifications: tagSpec('route-table', clusterTags(s, component, az)),
      }),
    ),
  );
  await ctx.checkpoint();
  return { table: out.RouteTable!, made: true };
}

async function publicTable(s: ClusterScope): Promise<RouteTable | undefined> {
  const name = resourceName(s.mesh, s.cluster.name, 'rtb-public');
  return (await findRouteTables(s.ec2, { mesh: s.mesh, cluster: s.cluster.name, component: 'rtb-public', name }))[0];
}

export async function observePublic(s: ClusterScope): Promise<Observation> {
  const t = await publicTable(s);
  if (!t) return { state: 'missing' };
  const def = (t.Routes ?? []).some((r) => r.DestinationCidrBlock === '0.0.0.0/0' && r.GatewayId?.startsWith('igw-'));
  const assoc = (t.Associations ?? []).filter((a) => a.SubnetId).length;
  if (def && assoc === 2) return { state: 'ok', detail: t.RouteTableId };
  const why = [def ? '' : 'no default route to the IGW', assoc === 2 ? '' : `${assoc}/2 subnets`].filter(Boolean);
  return { state: 'repair', detail: `${t.RouteTableId}: ${why.join(', ')}` };
}

export async function ensurePublic(s: ClusterScope, ctx: StepContext): Promise<StepOutcome> {
  const vpc = await requireVpc(s);
  const igw = await findInternetGateway(s);
  if (!igw) throw new Error(`the internet gateway of ${s.cluster.name} is not there yet`);
  const { table, made } = await ensureTable(s, ctx, vpc.VpcId!, 'rtb-public');
  let changed = made;
  changed = (await ensureRoute(s.ec2, table, '0.0.0.0/0', { GatewayId: igw.InternetGatewayId! })) || changed;
  for (const k of AZ_INDEXES) {
    const subnet = await requireSubnet(s, 'public', k);
    changed = (await ensureAssociation(s.ec2, table, subnet.SubnetId!)) || changed;
  }
  const what = `${table.RouteTableId} (0.0.0.0/0 -> ${igw.InternetGatewayId}, 2 public subnets)`;
  return {
    summary: `public route table ${changed ? 'ready' : 'exists'}: ${what}`,
    changed,
    resources: { rtbPublic: table.RouteTableId! },
  };
}

export async function observePrivate(s: ClusterScope): Promise<Observation> {
  const tables = await findRouteTables(s.ec2, { mesh: s.mesh, cluster: s.cluster.name, component: 'rtb-private' });
  const good = tables.filter(
    (t) =>
      (t.Routes ?? []).some(
        (r) => r.DestinationCidrBlock === '0.0.0.0/0' && r.NatGatewayId && r.State !== 'blackhole',
      ) && (t.Associations ?? []).some((a) => a.SubnetId),
  ).length;
  const detail = `${good}/2 private route tables complete`;
  return { state: good >= 2 ? 'ok' : tables.length === 0 ? 'missing' : 'repair', detail };
}

export async function ensurePrivate(s: ClusterScope, ctx: StepContext): Promise<StepOutcome> {
  const vpc = await requireVpc(s);
  let changed = false;
  const parts: string[] = [];
  const resources: Record<string, string> = {};
  for (const k of AZ_INDEXES) {
    const priv = await requireSubnet(s, 'private', k);
    const pub = await requireSubnet(s, 'public', k);
    const az = priv.AvailabilityZone!;
    const nat = await natOf(s, pub.SubnetId!);
    if (!nat) throw new Error(`the NAT gateway of ${s.cluster.name} in ${pub.AvailabilityZone} is not there yet`);
    const { table, made } = await ensureTable(s, ctx, vpc.VpcId!, 'rtb-private', az);
    changed = made || changed;
    changed = (await ensureRoute(s.ec2, table, '0.0.0.0/0', { NatGatewayId: nat.NatGatewayId! })) || changed;
    changed = (await ensureAssociation(s.ec2, table, priv.SubnetId!)) || changed;
    parts.push(`${table.RouteTableId} (${az}: 0.0.0.0/0 -> ${nat.NatGatewayId})`);
    resources[`rtbPrivate-${k}`] = table.RouteTableId!;
  }
  return { summary: `private route tables ${changed ? 'ready' : 'exist'}: ${parts.join(', ')}`, changed, resources };
}

/** Tables meshops made (not the main one, which goes with its VPC). */
export function removable(tables: RouteTable[]): RouteTable[] {
  return tables.filter((t) => !(t.Associations ?? []).some((a) => a.Main));
}

export async function remove(deps: Deps, ctx: StepContext, region: string, tables: RouteTable[]): Promise<StepOutcome> {
  const ec2 = deps.aws.ec2(region);
  const deleted: string[] = [];
  for (const t of tables) {
    const id = t.RouteTableId!;
    for (const a of (t.Associations ?? []).filter((x) => !x.Main && x.RouteTableAssociationId)) {
      const AssociationId = a.RouteTableAssociationId!;
      await awsOrMissing(
        'ec2:DisassociateRouteTable',
        () => ec2.send(new DisassociateRouteTableCommand({ AssociationId })),
        'InvalidAssociationID.NotFound',
      );
    }
    const del = () => aws('ec2:DeleteRouteTable', () => ec2.send(new DeleteRouteTableCommand({ RouteTableId: id })));
    if (await deleteRetrying(deps, ctx, `route table ${id}`, del, { notFound: ['InvalidRouteTableID.NotFound'] })) {
      deleted.push(id);
    }
  }
  return removedOutcome(
    'route tables',
    region,
    deleted,
    tables.map((t) => t.RouteTableId!),
  );
}

// Routes and route-table associations, made idempotent: a route already there with the same target is left
// alone, one with a stale target (a NAT or peering since replaced) is pointed at the right one.
import {
  AssociateRouteTableCommand,
  CreateRouteCommand,
  ReplaceRouteCommand,
  ReplaceRouteTableAssociationCommand,
} from '@aws-sdk/client-ec2';
import type { EC2Client, Route, RouteTable } from '@aws-sdk/client-ec2';
import { aws, isAwsError } from './errors.ts';
import { describeRouteTables } from './find.ts';

export type RouteTarget = { GatewayId: string } | { NatGatewayId: string } | { VpcPeeringConnectionId: string };

function targetId(t: RouteTarget): string {
  return Object.values(t)[0] as string;
}

function routeTargets(r: Route): string[] {
  return [r.GatewayId, r.NatGatewayId, r.VpcPeeringConnectionId].filter((x): x is string => !!x);
}

/** Ensures `dest -> target` in the table; returns true when it had to create or replace the route. */
export async function ensureRoute(ec2: EC2Client, table: RouteTable, dest: string, target: RouteTarget): Promise<boolean> {
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
  if (assoc?.RouteTableAssociationId) {
    await aws('ec2:ReplaceRouteTableAssociation', () =>
      ec2.send(
        new ReplaceRouteTableAssociationCommand({ AssociationId: assoc.RouteTableAssociationId!, RouteTableId: table.RouteTableId! }),
      ),
    );
    return true;
  }
  await aws('ec2:AssociateRouteTable', () =>
    ec2.send(new AssociateRouteTableCommand({ RouteTableId: table.RouteTableId!, SubnetId: subnetId })),
  );
  return true;
}

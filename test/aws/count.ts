// Counts what carries a mesh's tag in a region, straight from the APIs (not through product code).
import {
  DescribeAddressesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcPeeringConnectionsCommand,
  DescribeVpcsCommand,
} from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, ListClustersCommand, ListNodegroupsCommand } from '@aws-sdk/client-eks';
import { ListRolesCommand } from '@aws-sdk/client-iam';
import type { Deps } from '../../src/deps.ts';

export interface Counts {
  vpcs: number;
  subnets: number;
  igws: number;
  addresses: number;
  nats: number;
  routeTables: number;
  securityGroups: number;
  peerings: number;
  clusters: number;
  nodegroups: number;
}

export async function countTagged(deps: Deps, region: string, mesh: string): Promise<Counts> {
  const ec2 = deps.aws.ec2(region);
  const eks = deps.aws.eks(region);
  const f = [{ Name: 'tag:meshops:mesh', Values: [mesh] }];
  const [vpcs, subnets, igws, addrs, nats, rtbs, sgs, pcx, clusters] = await Promise.all([
    ec2.send(new DescribeVpcsCommand({ Filters: f })),
    ec2.send(new DescribeSubnetsCommand({ Filters: f })),
    ec2.send(new DescribeInternetGatewaysCommand({ Filters: f })),
    ec2.send(new DescribeAddressesCommand({ Filters: f })),
    ec2.send(
      new DescribeNatGatewaysCommand({
        Filter: [...f, { Name: 'state', Values: ['pending', 'available', 'deleting'] }],
      }),
    ),
    ec2.send(new DescribeRouteTablesCommand({ Filters: f })),
    ec2.send(new DescribeSecurityGroupsCommand({ Filters: f })),
    ec2.send(
      new DescribeVpcPeeringConnectionsCommand({
        Filters: [
          ...f,
          { Name: 'status-code', Values: ['initiating-request', 'pending-acceptance', 'provisioning', 'active'] },
        ],
      }),
    ),
    eks.send(new ListClustersCommand({})),
  ]);
  // moto ignores tag and state filters on NAT gateways and peering connections: count only what matches.
  const ours = (tags?: { Key?: string; Value?: string }[]) =>
    tags?.some((t) => t.Key === 'meshops:mesh' && t.Value === mesh) ?? false;
  const liveNats = (nats.NatGateways ?? []).filter(
    (n) => ours(n.Tags) && n.State !== 'deleted' && n.State !== 'failed',
  );
  const livePeerings = (pcx.VpcPeeringConnections ?? []).filter(
    (p) =>
      ours(p.Tags) &&
      ['initiating-request', 'pending-acceptance', 'provisioning', 'active'].includes(p.Status?.Code ?? ''),
  );
  let clusterCount = 0;
  let nodegroups = 0;
  for (const name of clusters.clusters ?? []) {
    const c = await eks.send(new DescribeClusterCommand({ name }));
    if (c.cluster?.tags?.['meshops:mesh'] !== mesh) continue;
    clusterCount++;
    nodegroups += (await eks.send(new ListNodegroupsCommand({ clusterName: name }))).nodegroups?.length ?? 0;
  }
  return {
    vpcs: vpcs.Vpcs?.length ?? 0,
    subnets: subnets.Subnets?.length ?? 0,
    igws: igws.InternetGateways?.length ?? 0,
    addresses: addrs.Addresses?.length ?? 0,
    nats: liveNats.length,
    routeTables: rtbs.RouteTables?.length ?? 0,
    securityGroups: sgs.SecurityGroups?.length ?? 0,
    peerings: livePeerings.length,
    clusters: clusterCount,
    nodegroups,
  };
}

export async function countRoles(deps: Deps, mesh: string): Promise<number> {
  const roles = await deps.aws.iam().send(new ListRolesCommand({}));
  return (roles.Roles ?? []).filter((r) => r.RoleName === `${mesh}-eks-cluster` || r.RoleName === `${mesh}-eks-node`)
    .length;
}

export const ZERO: Counts = {
  vpcs: 0,
  subnets: 0,
  igws: 0,
  addresses: 0,
  nats: 0,
  routeTables: 0,
  securityGroups: 0,
  peerings: 0,
  clusters: 0,
  nodegroups: 0,
};

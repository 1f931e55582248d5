// The AWS underlay between two clusters, read live: VPCs, the peering, routes to the peer CIDR, and the VXLAN
// rule (UDP 4789 from the peer VPC CIDR) on each cluster security group. Read-only.

import type { IpPermission } from '@aws-sdk/client-ec2';
import {
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcPeeringConnectionsCommand,
  DescribeVpcsCommand,
} from '@aws-sdk/client-ec2';
import { DescribeClusterCommand } from '@aws-sdk/client-eks';
import { eksClusterName } from '../../aws/tags.ts';
import { contains } from '../../config/cidr.ts';
import type { ClusterSpec } from '../../config/spec-types.ts';
import type { Deps } from '../../deps.ts';
import { VXLAN_PORT } from '../aws/node-rules.ts';

export interface Finding {
  ok: boolean;
  link: string;
  detail: string;
}

interface Side {
  cluster: ClusterSpec;
  vpcId: string;
  vpcCidr: string;
  securityGroupId?: string;
}

async function sideOf(deps: Deps, cluster: ClusterSpec): Promise<Side> {
  const out = await deps.aws
    .eks(cluster.region)
    .send(new DescribeClusterCommand({ name: eksClusterName(deps.spec.name, cluster.name) }));
  const vpcId = out.cluster?.resourcesVpcConfig?.vpcId;
  if (!vpcId) throw new Error(`EKS cluster ${eksClusterName(deps.spec.name, cluster.name)} reports no VPC`);
  const vpcs = await deps.aws.ec2(cluster.region).send(new DescribeVpcsCommand({ VpcIds: [vpcId] }));
  return {
    cluster,
    vpcId,
    vpcCidr: vpcs.Vpcs?.[0]?.CidrBlock ?? cluster.vpcCidr,
    securityGroupId: out.cluster?.resourcesVpcConfig?.clusterSecurityGroupId,
  };
}

function allowsVxlanFrom(perms: IpPermission[] | undefined, cidr: string): boolean {
  return (perms ?? []).some((p) => {
    const proto = p.IpProtocol ?? '';
    const portOk =
      proto === '-1' ||
      ((proto === 'udp' || proto === '17') && (p.FromPort ?? 0) <= VXLAN_PORT && VXLAN_PORT <= (p.ToPort ?? 65535));
    return portOk && (p.IpRanges ?? []).some((r) => r.CidrIp && contains(r.CidrIp, cidr));
  });
}

async function routeFindings(deps: Deps, side: Side, peer: Side, pcxId: string | undefined): Promise<Finding> {
  const ec2 = deps.aws.ec2(side.cluster.region);
  const tables =
    (await ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [side.vpcId] }] })))
      .RouteTables ?? [];
  // Nodes sit in the private subnets: their route tables must send the peer CIDR through the peering.
  const tagged = tables.filter((t) => t.Tags?.some((g) => g.Key === 'meshops:component' && g.Value === 'rtb-private'));
  const relevant = tagged.length ? tagged : tables;
  const missing = relevant.filter(
    (t) =>
      !t.Routes?.some(
        (r) =>
          r.DestinationCidrBlock === peer.vpcCidr &&
          r.VpcPeeringConnectionId &&
          (!pcxId || r.VpcPeeringConnectionId === pcxId) &&
          r.State !== 'blackhole',
      ),
  );
  const link = `routes ${side.cluster.name} -> ${peer.cluster.name}`;
  if (missing.length) {
    return {
      ok: false,
      link,
      detail: `no route to ${peer.vpcCidr} via ${pcxId ?? 'the peering'} in route table ${missing.map((t) => t.RouteTableId).join(', ')} (VPC ${side.vpcId}, ${side.cluster.region})`,
    };
  }
  return {
    ok: true,
    link,
    detail: `${relevant.length} route tables in ${side.vpcId} send ${peer.vpcCidr} to ${pcxId}`,
  };
}

async function vxlanFinding(deps: Deps, side: Side, peer: Side): Promise<Finding> {
  const link = `VXLAN into ${side.cluster.name}`;
  if (!side.securityGroupId)
    return { ok: false, link, detail: `EKS cluster of ${side.cluster.name} reports no cluster security group` };
  const sgs = await deps.aws
    .ec2(side.cluster.region)
    .send(new DescribeSecurityGroupsCommand({ GroupIds: [side.securityGroupId] }));
  const ok = allowsVxlanFrom(sgs.SecurityGroups?.[0]?.IpPermissions, peer.vpcCidr);
  return ok
    ? { ok, link, detail: `security group ${side.securityGroupId} allows UDP ${VXLAN_PORT} from ${peer.vpcCidr}` }
    : {
        ok,
        link,
        detail: `security group ${side.securityGroupId} (${side.cluster.name}, ${side.cluster.region}) has no inbound rule for UDP ${VXLAN_PORT} from ${peer.vpcCidr}`,
      };
}

/** Peering, routes both ways, and VXLAN rules both ways, in that order. */
export async function checkAwsPath(deps: Deps, a: ClusterSpec, b: ClusterSpec): Promise<Finding[]> {
  const [sa, sb] = await Promise.all([sideOf(deps, a), sideOf(deps, b)]);
  const findings: Finding[] = [];
  const pcxs =
    (await deps.aws.ec2(a.region).send(new DescribeVpcPeeringConnectionsCommand({}))).VpcPeeringConnections ?? [];
  const between = pcxs.filter((p) => {
    const req = p.RequesterVpcInfo?.VpcId;
    const acc = p.AccepterVpcInfo?.VpcId;
    return (req === sa.vpcId && acc === sb.vpcId) || (req === sb.vpcId && acc === sa.vpcId);
  });
  const active = between.find((p) => p.Status?.Code === 'active');
  if (active)
    findings.push({
      ok: true,
      link: 'peering',
      detail: `peering ${active.VpcPeeringConnectionId} between ${sa.vpcId} and ${sb.vpcId} is active`,
    });
  else {
    const seen = between.map((p) => `${p.VpcPeeringConnectionId} is ${p.Status?.Code ?? 'unknown'}`).join(', ');
    findings.push({
      ok: false,
      link: 'peering',
      detail: `no active VPC peering between ${sa.vpcId} (${a.name}) and ${sb.vpcId} (${b.name})${seen ? `: ${seen}` : ': none exists'}`,
    });
  }
  const pcxId = active?.VpcPeeringConnectionId;
  findings.push(
    ...(await Promise.all([
      routeFindings(deps, sa, sb, pcxId),
      routeFindings(deps, sb, sa, pcxId),
      vxlanFinding(deps, sa, sb),
      vxlanFinding(deps, sb, sa),
    ])),
  );
  return findings;
}

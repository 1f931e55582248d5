// The AWS half of `/mesh status`: per cluster, one line per piece (VPC, subnets, gateways, peering, routes, the
// VXLAN rule, EKS, node group), each with a mark and the reason. Read-only, and it never throws for something
// missing: that is an 'absent' line. An unreachable API becomes one 'failing' line for that cluster.
import type { NatGateway, RouteTable } from '@aws-sdk/client-ec2';
import type { ClusterSpec } from '../../src/config/spec-types.ts';
import type { Deps } from '../../src/deps.ts';
import { errorMessage } from '../../src/errors.ts';
import { describeCluster, describeNodegroup, findMeshClusters, listNodegroups } from '../../src/aws/eks.ts';
import {
  describeSecurityGroup,
  findAddresses,
  findInternetGateways,
  findNatGateways,
  findPeeringsOf,
  findRouteTables,
  findSubnets,
  findVpcs,
} from '../../src/aws/find.ts';
import { desiredNodeRules, ruleExists } from '../../src/aws/node-rules.ts';
import { eksClusterName, nodeGroupName } from '../../src/aws/tags.ts';
import type { ObservedRegion } from '../../src/cost.ts';
import type { StatusLine } from './types.ts';

const line = (health: StatusLine['health'], subject: string, detail: string): StatusLine => ({ health, subject, detail });

function peerRouteLines(tables: RouteTable[], peers: { name: string; cidr: string; pcx?: string }[]): StatusLine[] {
  if (tables.length === 0) return [line('absent', 'private route tables', 'none tagged for this cluster')];
  return tables.map((t) => {
    const problems: string[] = [];
    const good: string[] = [];
    for (const p of peers) {
      const r = (t.Routes ?? []).find((x) => x.DestinationCidrBlock === p.cidr);
      if (!r) problems.push(`no route to ${p.cidr} (${p.name})`);
      else if (r.State === 'blackhole') problems.push(`route to ${p.cidr} (${p.name}) is a blackhole (${r.VpcPeeringConnectionId ?? 'no target'})`);
      else if (p.pcx && r.VpcPeeringConnectionId !== p.pcx) problems.push(`route to ${p.cidr} goes to ${r.VpcPeeringConnectionId ?? r.GatewayId ?? r.NatGatewayId}, not ${p.pcx}`);
      else good.push(`${p.cidr} via ${r.VpcPeeringConnectionId}`);
    }
    const subject = `route table ${t.RouteTableId}`;
    if (problems.length) return line(peers.some((p) => p.pcx) ? 'failing' : 'absent', subject, problems.join('; '));
    return line('ok', subject, good.length ? `routes ${good.join(', ')}` : 'no peers to route to');
  });
}

function natLines(nats: NatGateway[]): StatusLine[] {
  if (nats.length === 0) return [line('absent', 'NAT gateways', 'none (0/2)')];
  const out = nats.map((n) => {
    const subject = `NAT gateway ${n.NatGatewayId}`;
    const where = `in ${n.SubnetId}`;
    if (n.State === 'available') return line('ok', subject, `available ${where}`);
    if (n.State === 'pending') return line('warning', subject, `pending ${where}`);
    return line('failing', subject, `${n.State} ${where}${n.FailureMessage ? `: ${n.FailureMessage}` : ''}`);
  });
  const live = nats.filter((n) => n.State === 'available' || n.State === 'pending').length;
  if (live < 2) out.push(line('warning', 'NAT gateways', `${live}/2 (one per AZ expected)`));
  return out;
}

/** Everything AWS knows about one cluster, as status lines. */
export async function observeAws(deps: Deps, cluster: ClusterSpec): Promise<StatusLine[]> {
  try {
    return await observeCluster(deps, cluster);
  } catch (err) {
    return [line('failing', `AWS API (${cluster.region})`, `could not read the state: ${errorMessage(err)}`)];
  }
}

async function observeCluster(deps: Deps, cluster: ClusterSpec): Promise<StatusLine[]> {
  const mesh = deps.spec.name;
  const ec2 = deps.aws.ec2(cluster.region);
  const eks = deps.aws.eks(cluster.region);
  const scope = { mesh, cluster: cluster.name };
  const clusterName = eksClusterName(mesh, cluster.name);
  const others = deps.spec.clusters.filter((c) => c.name !== cluster.name);

  const [vpcs, subnets, igws, nats, privateTables, eksCluster, nodegroup, otherVpcs] = await Promise.all([
    findVpcs(ec2, { ...scope, component: 'vpc' }),
    findSubnets(ec2, scope),
    findInternetGateways(ec2, { ...scope, component: 'igw' }),
    findNatGateways(ec2, { ...scope, component: 'nat' }, [], ['pending', 'available', 'failed']),
    findRouteTables(ec2, { ...scope, component: 'rtb-private' }),
    describeCluster(eks, clusterName),
    describeNodegroup(eks, clusterName, nodeGroupName(mesh, cluster.name)),
    Promise.all(others.map(async (o) => ({ o, vpc: (await findVpcs(deps.aws.ec2(o.region), { mesh, cluster: o.name, component: 'vpc' }))[0] }))),
  ]);
  const lines: StatusLine[] = [];
  const vpc = vpcs[0];

  // Network
  if (!vpc) lines.push(line('absent', 'VPC', `none tagged for ${cluster.name} in ${cluster.region}`));
  else {
    const cidrOk = vpc.CidrBlock === cluster.vpcCidr;
    lines.push(line(cidrOk ? 'ok' : 'warning', `VPC ${vpc.VpcId} (${vpc.CidrBlock})`, cidrOk ? `${vpc.State}, ${cluster.region}` : `spec says ${cluster.vpcCidr}`));
    if (vpcs.length > 1) lines.push(line('warning', 'VPCs', `${vpcs.length} tagged for ${cluster.name}: ${vpcs.map((v) => v.VpcId).join(', ')} (one expected)`));
  }
  const nSub = subnets.length;
  lines.push(line(nSub === 4 ? 'ok' : nSub === 0 ? 'absent' : 'warning', 'subnets', `${nSub}/4 (public and private in two AZs)`));
  const igw = igws[0];
  if (!igw) lines.push(line('absent', 'internet gateway', 'none'));
  else {
    const attached = (igw.Attachments ?? []).some((a) => a.VpcId === vpc?.VpcId);
    lines.push(line(attached ? 'ok' : 'warning', `internet gateway ${igw.InternetGatewayId}`, attached ? `attached to ${vpc?.VpcId}` : 'not attached to the VPC'));
  }
  lines.push(...natLines(nats));

  // Peering, per other cluster, and the routes to each peer in every private route table.
  const peers: { name: string; cidr: string; pcx?: string }[] = [];
  // One read of this VPC's peerings serves every pair (status stays linear in the number of clusters).
  const ours = vpc ? await findPeeringsOf(ec2, vpc.VpcId!) : [];
  for (const { o, vpc: ovpc } of otherVpcs) {
    const subject = `peering ${cluster.name} <-> ${o.name}`;
    if (!vpc || !ovpc) {
      lines.push(line('absent', subject, `${!vpc ? cluster.name : o.name} has no VPC`));
      peers.push({ name: o.name, cidr: o.vpcCidr });
      continue;
    }
    const between = (x: (typeof ours)[number]) => [x.RequesterVpcInfo?.VpcId, x.AccepterVpcInfo?.VpcId].includes(ovpc.VpcId!);
    const pcx = ours.find(between);
    const state = pcx?.Status?.Code;
    if (!pcx) lines.push(line('absent', subject, `no live peering between ${vpc.VpcId} and ${ovpc.VpcId}`));
    else lines.push(line(state === 'active' ? 'ok' : 'warning', subject, `${pcx.VpcPeeringConnectionId} is ${state}`));
    peers.push({ name: o.name, cidr: o.vpcCidr, pcx: pcx?.VpcPeeringConnectionId });
  }
  if (others.length) lines.push(...peerRouteLines(privateTables, peers));

  // EKS
  if (!eksCluster) lines.push(line('absent', `EKS cluster ${clusterName}`, 'not created'));
  else {
    const s = eksCluster.status;
    const health = s === 'ACTIVE' ? 'ok' : s === 'CREATING' || s === 'UPDATING' ? 'warning' : 'failing';
    lines.push(line(health, `EKS cluster ${clusterName}`, `${s}, Kubernetes ${eksCluster.version}, ${eksCluster.endpoint ?? 'no endpoint yet'}`));
    const sgId = eksCluster.resourcesVpcConfig?.clusterSecurityGroupId;
    if (others.length) {
      const sg = sgId ? await describeSecurityGroup(ec2, sgId) : undefined;
      if (!sg) lines.push(line('absent', 'VXLAN rule (UDP 4789)', 'the cluster has no security group yet'));
      else {
        const vx = desiredNodeRules(deps.spec, cluster, sgId!).filter((r) => r.vxlan);
        const missing = vx.filter((r) => !ruleExists(sg, r)).map((r) => r.label);
        lines.push(
          missing.length
            ? line('failing', `VXLAN rule on ${sgId}`, `missing: ${missing.join('; ')}`)
            : line('ok', `VXLAN rule on ${sgId}`, vx.map((r) => r.label).join('; ')),
        );
      }
    }
  }
  if (!nodegroup) lines.push(line('absent', `node group ${nodeGroupName(mesh, cluster.name)}`, 'not created'));
  else {
    const s = nodegroup.status;
    const desired = nodegroup.scalingConfig?.desiredSize ?? 0;
    const health = s === 'ACTIVE' ? (desired === cluster.nodeGroup.desiredSize ? 'ok' : 'warning') : s === 'CREATING' || s === 'UPDATING' ? 'warning' : 'failing';
    const issues = (nodegroup.health?.issues ?? []).map((i) => `${i.code}: ${i.message}`).join('; ');
    lines.push(line(health, `node group ${nodegroup.nodegroupName}`, `${s}, desired ${desired} (spec ${cluster.nodeGroup.desiredSize}), ${nodegroup.instanceTypes?.join(',')}${issues ? `; ${issues}` : ''}`));
  }
  return lines;
}

/** Every cluster of the spec at once (each region's calls run side by side). */
export async function observeAwsAll(deps: Deps): Promise<Map<string, StatusLine[]>> {
  const entries = await Promise.all(deps.spec.clusters.map(async (c) => [c.name, await observeAws(deps, c)] as const));
  return new Map(entries);
}

export interface MeshPresence {
  exists: boolean;
  regions: { region: string; vpcs: number; clusters: number }[];
  summary: string;
}

/** Whether anything of the mesh exists in the spec's regions, for "no mesh exists; run /mesh up". */
export async function meshExists(deps: Deps): Promise<MeshPresence> {
  const mesh = deps.spec.name;
  const regions = [...new Set(deps.spec.clusters.map((c) => c.region))];
  const found = await Promise.all(
    regions.map(async (region) => {
      const [vpcs, clusters] = await Promise.all([findVpcs(deps.aws.ec2(region), { mesh }), findMeshClusters(deps.aws.eks(region), mesh)]);
      return { region, vpcs: vpcs.length, clusters: clusters.length };
    }),
  );
  const exists = found.some((r) => r.vpcs + r.clusters > 0);
  const summary = exists
    ? `mesh ${mesh}: ${found.map((r) => `${r.region} ${r.vpcs} VPC(s), ${r.clusters} EKS cluster(s)`).join('; ')}`
    : `no mesh ${mesh} exists in ${regions.join(', ')}; run /mesh up`;
  return { exists, regions: found, summary };
}

/** What is running and billed, per region, for costOfObserved. */
export async function observeBilled(deps: Deps): Promise<ObservedRegion[]> {
  const mesh = deps.spec.name;
  const regions = [...new Set(deps.spec.clusters.map((c) => c.region))];
  return Promise.all(
    regions.map(async (region) => {
      const eks = deps.aws.eks(region);
      const ec2 = deps.aws.ec2(region);
      const [clusters, nats, addresses] = await Promise.all([
        findMeshClusters(eks, mesh),
        findNatGateways(ec2, { mesh }, [], ['pending', 'available']),
        findAddresses(ec2, { mesh }),
      ]);
      const nodes: ObservedRegion['nodes'] = [];
      for (const c of clusters) {
        for (const ngName of await listNodegroups(eks, c.name!)) {
          const ng = await describeNodegroup(eks, c.name!, ngName);
          if (ng) nodes.push({ instanceType: ng.instanceTypes?.[0] ?? 'unknown', count: ng.scalingConfig?.desiredSize ?? 0, diskGiB: ng.diskSize ?? 0 });
        }
      }
      return { region, eksClusters: clusters.length, nodes, natGateways: nats.length, publicIpv4: addresses.length };
    }),
  );
}

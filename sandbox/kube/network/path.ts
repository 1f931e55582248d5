// Whether a packet from one pod reaches another, from the state the clusters and moto are in right now:
// within a cluster always; across clusters only over an active VPC peering, with routes to the peer in the
// node subnets' route tables on both sides, UDP 4789 (VXLAN) allowed from the peer in both cluster security
// groups, distinct pod CIDRs, and Calico VXLAN up on both sides. The first broken condition is named, with evidence.
import {
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcPeeringConnectionsCommand,
  DescribeVpcsCommand,
  type RouteTable,
  type SecurityGroup,
  type Subnet,
  type VpcPeeringConnection,
} from '@aws-sdk/client-ec2';
import type { ControllerEnv, SimClusterHandle } from '../../contracts.ts';
import { remoteClustersOf, replicaOutOfSync } from '../controllers/federation.ts';
import { cidrContains, cidrsOverlap, parseCidr } from '../controllers/util.ts';
import type { KubeObject } from '../store.ts';
import { rttRange } from './latency.ts';
import { ec2For, sharedRead } from './moto.ts';

export interface PathEnd {
  handle: SimClusterHandle;
  pod?: KubeObject;
  nodeName: string;
  nodeIp: string;
  ip: string;
}

/** One ICMP packet as ping sends it: IP bytes (payload + 28), and whether fragmentation is forbidden (-M do). */
export interface Packet {
  bytes: number;
  dontFragment: boolean;
}

/** EC2's network MTU (EC2 user guide, network MTU): 9001 in a VPC and over intra-Region peering, 8500 across Regions. */
export const INSTANCE_MTU = 9001;
export const INTER_REGION_PEERING_MTU = 8500;
/** VXLAN's outer headers (IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14). */
export const VXLAN_OVERHEAD = 50;

export type PathVerdict =
  | { ok: true; scope: 'same-node' | 'same-cluster' | 'cross-cluster'; rtt: [number, number]; ttl: number }
  | { ok: false; check: string; reason: string; evidence: Record<string, string> };

function fail(check: string, reason: string, evidence: Record<string, string> = {}): PathVerdict {
  return { ok: false, check, reason, evidence };
}

/** Whether two API server URLs name the same server (scheme-less host:port, loopback spellings equal). */
function sameServer(a: string, b: string): boolean {
  const norm = (u: string) => {
    try {
      const url = new URL(u);
      const hostname = ['localhost', '[::1]'].includes(url.hostname) ? '127.0.0.1' : url.hostname.toLowerCase();
      return `${hostname}:${url.port || '443'}`;
    } catch {
      return u.replace(/\/+$/, '').toLowerCase();
    }
  };
  return norm(a) === norm(b);
}

export function sameCluster(a: SimClusterHandle, b: SimClusterHandle): boolean {
  return a === b || (a.placement.region === b.placement.region && a.placement.name === b.placement.name);
}

function podIpOf(p: KubeObject): string | undefined {
  return (p.status as { podIP?: string } | undefined)?.podIP;
}

function nodeIpOf(node: KubeObject | undefined): string {
  const addrs = (node?.status as { addresses?: Array<{ type: string; address: string }> } | undefined)?.addresses ?? [];
  return addrs.find((a) => a.type === 'InternalIP')?.address ?? '';
}

/** The pod (or node) holding an IP: in the asking cluster first, as its own routes would decide. */
export function locateIp(
  env: ControllerEnv,
  from: SimClusterHandle,
  ip: string,
): PathEnd | { service: SimClusterHandle } | undefined {
  const all = [from, ...env.clusters().filter((h) => !sameCluster(h, from))];
  for (const handle of all) {
    const pod = handle.store
      .list('', 'Pod')
      .find((p) => podIpOf(p) === ip && (p.status as { phase?: string })?.phase !== 'Succeeded');
    if (pod) {
      const nodeName = (pod.spec as { nodeName?: string }).nodeName ?? '';
      return { handle, pod, nodeName, nodeIp: nodeIpOf(handle.store.get('', 'Node', undefined, nodeName)), ip };
    }
    const node = handle.store.list('', 'Node').find((n) => nodeIpOf(n) === ip);
    if (node) return { handle, nodeName: node.metadata.name, nodeIp: ip, ip };
    if (
      handle === from &&
      handle.store.list('', 'Service').some((s) => (s.spec as { clusterIP?: string })?.clusterIP === ip)
    )
      return { service: handle };
  }
  return undefined;
}

function installationOf(h: SimClusterHandle) {
  const inst = h.store.get('operator.tigera.io', 'Installation', undefined, 'default');
  return inst?.spec as
    | { cni?: { type?: string }; calicoNetwork?: { ipPools?: Array<{ cidr?: string; encapsulation?: string }> } }
    | undefined;
}

function calicoAvailable(h: SimClusterHandle): boolean {
  const ts = h.store.get('operator.tigera.io', 'TigeraStatus', undefined, 'calico');
  const conds = (ts?.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? [];
  return conds.some((c) => c.type === 'Available' && c.status === 'True');
}

function vxlanProblem(h: SimClusterHandle): string | undefined {
  const spec = installationOf(h);
  const name = h.placement.name;
  if (!spec) return `cluster ${name} has no Installation: Calico is not installed`;
  if (spec.cni?.type !== 'Calico')
    return `cluster ${name}: Calico is not the CNI (Installation spec.cni.type is ${spec.cni?.type ?? 'unset (AmazonVPC on EKS)'})`;
  const enc = spec.calicoNetwork?.ipPools?.[0]?.encapsulation ?? 'IPIP';
  if (enc !== 'VXLAN' && enc !== 'VXLANCrossSubnet')
    return `cluster ${name}: IP pool encapsulation is ${enc}, not VXLAN`;
  if (!calicoAvailable(h)) return `cluster ${name}: Calico is not Available yet (TigeraStatus calico)`;
  return undefined;
}

/**
 * The MTU of a pod's interface: the Installation's calicoNetwork.mtu, else what Calico auto-detects (the node's
 * 9001-byte ENI less VXLAN's 50).
 */
export function podMtu(h: SimClusterHandle): number {
  const inst = h.store.get('operator.tigera.io', 'Installation', undefined, 'default');
  const mtu = (inst?.spec as { calicoNetwork?: { mtu?: number } } | undefined)?.calicoNetwork?.mtu;
  return typeof mtu === 'number' && mtu > 0 ? mtu : INSTANCE_MTU - VXLAN_OVERHEAD;
}

/** A packet VXLAN carries between two clusters: dropped when its outer size exceeds the path's MTU. */
function checkMtu(a: SimClusterHandle, b: SimClusterHandle, packet: Packet): PathVerdict | undefined {
  const pathMtu = a.placement.region === b.placement.region ? INSTANCE_MTU : INTER_REGION_PEERING_MTU;
  // Without -M do the sender's kernel fragments to its pod MTU first; each fragment is then encapsulated.
  const inner = packet.dontFragment ? packet.bytes : Math.min(packet.bytes, podMtu(a));
  const outer = inner + VXLAN_OVERHEAD;
  if (outer <= pathMtu) return undefined;
  return fail(
    'mtu',
    `a ${inner}-byte packet from ${a.placement.name} is ${outer} bytes in VXLAN, more than the ${pathMtu}-byte MTU of the ` +
      `path to ${b.placement.name} (${a.placement.region === b.placement.region ? 'within a Region' : 'inter-Region VPC peering'}): dropped`,
    { cluster: a.placement.name, podMtu: String(podMtu(a)), pathMtu: String(pathMtu), packet: String(packet.bytes) },
  );
}

function podCidr(h: SimClusterHandle): string | undefined {
  return installationOf(h)?.calicoNetwork?.ipPools?.[0]?.cidr;
}

/** What the network model needs from moto about one side, read in parallel and fresh for every question. */
interface SideState {
  vpcCidr: string;
  subnets: Subnet[];
  routeTables: RouteTable[];
  securityGroup?: SecurityGroup;
}

async function readSide(env: ControllerEnv, h: SimClusterHandle): Promise<SideState> {
  const client = ec2For(env.motoEndpoint, h.placement.region);
  const byVpc = [{ Name: 'vpc-id', Values: [h.placement.vpcId] }];
  const read = <T>(what: string, send: () => Promise<T>) =>
    sharedRead(`${env.motoEndpoint}|${h.placement.region}|${h.placement.vpcId}|${what}`, send);
  const [vpcs, subnets, tables, sgs] = await Promise.all([
    read('vpcs', () => client.send(new DescribeVpcsCommand({ VpcIds: [h.placement.vpcId] }))),
    read('subnets', () => client.send(new DescribeSubnetsCommand({ Filters: byVpc }))),
    read('route-tables', () => client.send(new DescribeRouteTablesCommand({ Filters: byVpc }))),
    read(`sg ${h.placement.clusterSecurityGroupId}`, () =>
      client
        .send(new DescribeSecurityGroupsCommand({ GroupIds: [h.placement.clusterSecurityGroupId] }))
        .catch(() => ({ SecurityGroups: [] })),
    ),
  ]);
  return {
    vpcCidr: vpcs.Vpcs?.[0]?.CidrBlock ?? '',
    subnets: subnets.Subnets ?? [],
    routeTables: tables.RouteTables ?? [],
    securityGroup: sgs.SecurityGroups?.[0],
  };
}

async function findPeering(
  env: ControllerEnv,
  a: SimClusterHandle,
  b: SimClusterHandle,
): Promise<VpcPeeringConnection[]> {
  const found = new Map<string, VpcPeeringConnection>();
  const regions = [...new Set([a.placement.region, b.placement.region])];
  const answers = await Promise.all(
    regions.map((region) =>
      sharedRead(`${env.motoEndpoint}|${region}|peerings`, () =>
        ec2For(env.motoEndpoint, region).send(new DescribeVpcPeeringConnectionsCommand({})),
      ),
    ),
  );
  for (const out of answers) {
    for (const p of out.VpcPeeringConnections ?? []) {
      const ends = [p.RequesterVpcInfo?.VpcId, p.AccepterVpcInfo?.VpcId];
      if (ends.includes(a.placement.vpcId) && ends.includes(b.placement.vpcId)) found.set(p.VpcPeeringConnectionId!, p);
    }
  }
  return [...found.values()];
}

/** The route table the VPC router uses for a node: its subnet's explicit association, else the main table. */
function routeTableFor(side: SideState, nodeIp: string): { subnetId: string; table?: RouteTable } {
  const subnet = side.subnets.find((s) => s.CidrBlock && cidrContains(s.CidrBlock, nodeIp));
  const subnetId = subnet?.SubnetId ?? '';
  const explicit = side.routeTables.find((t) =>
    (t.Associations ?? []).some((a) => a.SubnetId === subnetId && subnetId),
  );
  const main = side.routeTables.find((t) => (t.Associations ?? []).some((a) => a.Main));
  return { subnetId, table: explicit ?? main };
}

/** Longest-prefix match, as the VPC router picks the route. */
function bestRoute(table: RouteTable, ip: string) {
  return (table.Routes ?? [])
    .filter((r) => r.DestinationCidrBlock && cidrContains(r.DestinationCidrBlock, ip))
    .sort((x, y) => parseCidr(y.DestinationCidrBlock!).prefix - parseCidr(x.DestinationCidrBlock!).prefix)[0];
}

function routeTarget(r: NonNullable<ReturnType<typeof bestRoute>>): string {
  return (
    r.VpcPeeringConnectionId ??
    r.NatGatewayId ??
    r.GatewayId ??
    r.TransitGatewayId ??
    r.NetworkInterfaceId ??
    r.InstanceId ??
    'unknown'
  );
}

function checkRoute(
  side: SimClusterHandle,
  state: SideState,
  nodeIp: string,
  peerNodeIp: string,
  peerCidr: string,
  pcx: string,
): PathVerdict | undefined {
  const { subnetId, table } = routeTableFor(state, nodeIp);
  const name = side.placement.name;
  if (!table)
    return fail('route', `cluster ${name}: no route table found for the subnet of node ${nodeIp}`, {
      subnet: subnetId,
    });
  const best = bestRoute(table, peerNodeIp);
  const evidence = {
    cluster: name,
    routeTable: table.RouteTableId ?? '',
    subnet: subnetId,
    destination: peerCidr,
    peering: pcx,
  };
  if (!best || best.VpcPeeringConnectionId !== pcx) {
    const via = best ? `; traffic to ${peerNodeIp} follows ${best.DestinationCidrBlock} via ${routeTarget(best)}` : '';
    return fail(
      'route',
      `route table ${table.RouteTableId} (subnet ${subnetId} of cluster ${name}) has no route to ${peerCidr} via ${pcx}${via}`,
      evidence,
    );
  }
  if (best.State && best.State !== 'active') {
    return fail(
      'route',
      `route to ${best.DestinationCidrBlock} via ${pcx} in ${table.RouteTableId} (cluster ${name}) is ${best.State}`,
      evidence,
    );
  }
  return undefined;
}

function checkVxlanRule(
  side: SimClusterHandle,
  state: SideState,
  peerNodeIp: string,
  peerCidr: string,
): PathVerdict | undefined {
  const sgId = side.placement.clusterSecurityGroupId;
  const sg = state.securityGroup;
  const allows = (sg?.IpPermissions ?? []).some((perm) => {
    const proto = perm.IpProtocol ?? '';
    const portOk =
      proto === '-1' ||
      (['udp', '17'].includes(proto) && (perm.FromPort ?? 0) <= 4789 && (perm.ToPort ?? 65535) >= 4789);
    return portOk && (perm.IpRanges ?? []).some((r) => r.CidrIp && cidrContains(r.CidrIp, peerNodeIp));
  });
  if (!allows) {
    return fail(
      'security-group',
      `security group ${sgId} of cluster ${side.placement.name} does not allow UDP 4789 (VXLAN) from ${peerCidr}`,
      { cluster: side.placement.name, securityGroup: sgId, needed: `udp 4789 from ${peerCidr}` },
    );
  }
  return undefined;
}

/** Explains whether `src` reaches `dst` now; the first broken condition wins. */
export async function explainPath(
  env: ControllerEnv,
  src: PathEnd,
  dst: PathEnd,
  packet?: Packet,
): Promise<PathVerdict> {
  if (dst.pod && (dst.pod.status as { phase?: string } | undefined)?.phase !== 'Running') {
    return fail(
      'target',
      `pod ${dst.pod.metadata.namespace}/${dst.pod.metadata.name} in cluster ${dst.handle.placement.name} is not running`,
      {
        phase: String((dst.pod.status as { phase?: string } | undefined)?.phase ?? 'unknown'),
      },
    );
  }
  if (sameCluster(src.handle, dst.handle)) {
    const sameNode = src.nodeName === dst.nodeName;
    return {
      ok: true,
      scope: sameNode ? 'same-node' : 'same-cluster',
      rtt: sameNode ? [0.03, 0.09] : [0.2, 0.6],
      ttl: sameNode ? 64 : 63,
    };
  }
  const a = src.handle;
  const b = dst.handle;
  for (const side of [a, b]) {
    const problem = vxlanProblem(side);
    if (problem) return fail('calico', problem, { cluster: side.placement.name });
  }
  const cidrA = podCidr(a) ?? '';
  const cidrB = podCidr(b) ?? '';
  if (cidrA && cidrB && cidrsOverlap(cidrA, cidrB)) {
    return fail(
      'pod-cidr',
      `pod CIDRs overlap: ${a.placement.name} uses ${cidrA} and ${b.placement.name} uses ${cidrB}`,
      { [a.placement.name]: cidrA, [b.placement.name]: cidrB },
    );
  }
  // Felix programs VXLAN routes to a remote cluster's pods only from an in-sync RemoteClusterConfiguration
  // with overlay routing: needed on both sides (the reply travels back the same way).
  for (const [here, there] of [
    [a, b],
    [b, a],
  ] as const) {
    const remotes = remoteClustersOf(here.endpoint).filter((r) => sameServer(r.server, there.endpoint));
    // Each Felix takes its routes from one typha replica; the model routes while any replica holds the sync.
    const typhas = here.store
      .list('', 'Pod', 'calico-system')
      .filter((p) => p.metadata.labels?.['k8s-app'] === 'calico-typha');
    const allTyphasOut = typhas.length > 0 && typhas.every(replicaOutOfSync);
    const usable = allTyphasOut ? undefined : remotes.find((r) => r.state === 'InSync' && r.overlayRouting);
    if (!usable) {
      const seen = remotes[0];
      const detail = allTyphasOut
        ? `every calico-typha replica in ${here.placement.name} is out of sync with ${there.placement.name}`
        : !seen
          ? `no RemoteClusterConfiguration in ${here.placement.name} points at ${there.placement.name}'s API server (${there.endpoint})`
          : seen.state !== 'InSync'
            ? `RemoteClusterConfiguration(${seen.name}) in ${here.placement.name} is not in sync: ${seen.reason}`
            : `RemoteClusterConfiguration(${seen.name}) in ${here.placement.name} has syncOptions.overlayRoutingMode other than Enabled`;
      return fail(
        'federation',
        `${here.placement.name} has no overlay routes to ${there.placement.name}'s pods: ${detail}`,
        {
          cluster: here.placement.name,
          remote: there.placement.name,
          ...(seen ? { remoteClusterConfiguration: seen.name, state: seen.state } : {}),
        },
      );
    }
  }
  const [sa, sb, peerings] = await Promise.all([readSide(env, a), readSide(env, b), findPeering(env, a, b)]);
  const vpcA = sa.vpcCidr;
  const vpcB = sb.vpcCidr;
  if (a.placement.vpcId !== b.placement.vpcId) {
    if (cidrsOverlap(vpcA, vpcB))
      return fail('vpc-cidr', `VPC CIDRs overlap: ${vpcA} and ${vpcB} cannot be peered`, {});
    const active = peerings.find((p) => p.Status?.Code === 'active');
    if (!active) {
      const states = peerings.map((p) => `${p.VpcPeeringConnectionId} is ${p.Status?.Code}`).join(', ');
      return fail(
        'peering',
        `no active VPC peering between ${a.placement.vpcId} (${a.placement.name}) and ${b.placement.vpcId} (${b.placement.name})${states ? `: ${states}` : ''}`,
        {
          requesterVpc: a.placement.vpcId,
          accepterVpc: b.placement.vpcId,
          ...(peerings[0]
            ? { peering: peerings[0].VpcPeeringConnectionId ?? '', state: peerings[0].Status?.Code ?? '' }
            : {}),
        },
      );
    }
    const pcx = active.VpcPeeringConnectionId!;
    const r1 = checkRoute(a, sa, src.nodeIp, dst.nodeIp, vpcB, pcx);
    if (r1) return r1;
    const r2 = checkRoute(b, sb, dst.nodeIp, src.nodeIp, vpcA, pcx);
    if (r2) return r2;
  }
  const s1 = checkVxlanRule(b, sb, src.nodeIp, vpcA);
  if (s1) return s1;
  const s2 = checkVxlanRule(a, sa, dst.nodeIp, vpcB);
  if (s2) return s2;
  if (packet) {
    // The echo reply is as large as the request and travels back the same way.
    const m = checkMtu(a, b, packet) ?? checkMtu(b, a, packet);
    if (m) return m;
  }
  return { ok: true, scope: 'cross-cluster', rtt: rttRange(a.placement.region, b.placement.region), ttl: 62 };
}

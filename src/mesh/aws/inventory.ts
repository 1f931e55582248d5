// Everything of a mesh that exists in AWS, found by its tags (plus the peerings of its VPCs, the groups EKS left
// in them and its IAM roles): what `down` plans from, and what tells whether a mesh exists at all.
import type { InternetGateway, RouteTable } from '@aws-sdk/client-ec2';
import { eksClusterName } from '../../aws/tags.ts';
import type { Deps } from '../../deps.ts';
import { findMeshClusters } from './eks-cluster.ts';
import { findForMesh as findRoles } from './iam-roles.ts';
import { findInternetGateways } from './internet-gateway.ts';
import {
  type FoundLoadBalancer,
  type FoundTargetGroup,
  findForClusters as findLoadBalancers,
  findTargetGroups,
} from './load-balancers.ts';
import { findAddresses, findNatGateways } from './nat-gateway.ts';
import { listNodegroups } from './node-group.ts';
import { type FoundPeering, findForMesh as findPeerings } from './peering.ts';
import { findRouteTables, removable } from './route-tables.ts';
import { findForMesh as findGroups } from './security-groups.ts';
import { findSubnets } from './subnets.ts';
import { findVpcs } from './vpc.ts';
import { findIn as findEndpoints } from './vpc-endpoints.ts';

/** What exists in one region. */
export interface RegionInventory {
  region: string;
  clusters: { name: string; nodegroups: string[] }[];
  /** Load balancers the clusters' Services left (ELBv2 and Classic, by the controllers' cluster tags): they block the VPC. */
  loadBalancers: FoundLoadBalancer[];
  /** Their target groups (by the same tags), which ELBv2 keeps after a load balancer is deleted. */
  targetGroups: FoundTargetGroup[];
  natGateways: string[];
  addresses: string[];
  internetGateways: InternetGateway[];
  subnets: string[];
  routeTables: RouteTable[];
  securityGroups: string[];
  /** VPC endpoints in the mesh's VPCs (GuardDuty's, or anyone's): they block subnets and VPCs. */
  vpcEndpoints: { id: string; service: string }[];
  vpcs: string[];
}

export interface MeshInventory {
  regions: RegionInventory[];
  peerings: FoundPeering[];
  roles: string[];
}

/** The regions a mesh lives in: its spec's. */
export function meshRegions(deps: Deps): string[] {
  return [...new Set(deps.spec.clusters.map((c) => c.region))];
}

async function findInRegion(deps: Deps, region: string): Promise<RegionInventory> {
  const mesh = deps.spec.name;
  const ec2 = deps.aws.ec2(region);
  const eks = deps.aws.eks(region);
  const [clusters, nats, addresses, igws, subnets, tables, vpcs] = await Promise.all([
    findMeshClusters(eks, mesh),
    findNatGateways(ec2, { mesh }, [], ['pending', 'available', 'deleting']),
    findAddresses(ec2, { mesh }),
    findInternetGateways(ec2, { mesh }),
    findSubnets(ec2, { mesh }),
    findRouteTables(ec2, { mesh }),
    findVpcs(ec2, { mesh }),
  ]);
  const names = new Set([
    ...clusters.map((c) => c.name!),
    ...deps.spec.clusters.map((c) => eksClusterName(mesh, c.name)),
  ]);
  const vpcIds = vpcs.map((v) => v.VpcId!);
  const [groups, withGroups, endpoints, loadBalancers, targetGroups] = await Promise.all([
    findGroups(ec2, mesh, vpcs, names),
    Promise.all(clusters.map(async (c) => ({ name: c.name!, nodegroups: await listNodegroups(eks, c.name!) }))),
    findEndpoints(ec2, vpcIds),
    vpcIds.length ? findLoadBalancers(deps, region, names, vpcIds) : [],
    vpcIds.length ? findTargetGroups(deps, region, names, vpcIds) : [],
  ]);
  return {
    region,
    clusters: withGroups,
    loadBalancers,
    targetGroups,
    // A failed NAT gateway holds nothing and AWS removes it by itself.
    natGateways: nats.filter((n) => n.State !== 'failed').map((n) => n.NatGatewayId!),
    addresses: addresses.map((a) => a.AllocationId!),
    internetGateways: igws,
    subnets: subnets.map((s) => s.SubnetId!),
    routeTables: removable(tables),
    securityGroups: groups,
    vpcEndpoints: endpoints,
    vpcs: vpcs.map((v) => v.VpcId!),
  };
}

/** Everything of the mesh in its regions. */
export async function findMesh(deps: Deps): Promise<MeshInventory> {
  const regions = await Promise.all(meshRegions(deps).map((r) => findInRegion(deps, r)));
  const [peerings, roles] = await Promise.all([findPeerings(deps, regions), findRoles(deps)]);
  return { regions, peerings, roles };
}

export function isEmpty(inv: MeshInventory): boolean {
  const count = (r: RegionInventory) =>
    r.clusters.length +
    r.loadBalancers.length +
    r.targetGroups.length +
    r.natGateways.length +
    r.addresses.length +
    r.internetGateways.length +
    r.subnets.length +
    r.routeTables.length +
    r.securityGroups.length +
    r.vpcEndpoints.length +
    r.vpcs.length;
  return inv.peerings.length === 0 && inv.roles.length === 0 && inv.regions.every((r) => count(r) === 0);
}

/** Whether anything of the mesh exists, in one line: "no mesh demo exists in us-east-1, us-west-2; run /mesh up". */
export function presence(mesh: string, inv: MeshInventory): { exists: boolean; summary: string } {
  const exists = !isEmpty(inv);
  const summary = exists
    ? `mesh ${mesh}: ${inv.regions.map((r) => `${r.region} ${r.vpcs.length} VPC(s), ${r.clusters.length} EKS cluster(s)`).join('; ')}`
    : `no mesh ${mesh} exists in ${inv.regions.map((r) => r.region).join(', ')}; run /mesh up`;
  return { exists, summary };
}

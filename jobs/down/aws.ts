// `/mesh down`, AWS half: a plan built only from what is observed carrying the mesh tag (plus peerings of the
// mesh's VPCs and the mesh's IAM roles), in reverse dependency order, side by side where AWS allows:
//   node groups -> clusters  |  NAT gateways  |  peerings (and their routes)
//   then per region: Elastic IPs, internet gateways, subnets, route tables, security groups, VPCs
//   then the IAM roles.
// Regions searched: the spec's regions plus any `extraRegions` given (e.g. a region a cluster was moved away
// from). Every region of the account is not scanned: that needs ec2:DescribeRegions and ~17 slow sweeps.
// Every leaf is idempotent (already gone = fine), so down can be run again after a failure or when done.
import {
  DeleteInternetGatewayCommand,
  DeleteNatGatewayCommand,
  DeleteRouteCommand,
  DeleteRouteTableCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DeleteVpcPeeringConnectionCommand,
  DescribeNatGatewaysCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  DetachInternetGatewayCommand,
  DisassociateRouteTableCommand,
  ReleaseAddressCommand,
} from '@aws-sdk/client-ec2';
import type { EC2Client, InternetGateway, RouteTable, VpcPeeringConnection } from '@aws-sdk/client-ec2';
import { DeleteClusterCommand, DeleteNodegroupCommand } from '@aws-sdk/client-eks';
import {
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListInstanceProfilesForRoleCommand,
  ListRolePoliciesCommand,
  RemoveRoleFromInstanceProfileCommand,
} from '@aws-sdk/client-iam';
import type { Deps } from '../../src/deps.ts';
import { WaitTimeoutError } from '../../src/errors.ts';
import { describeCluster, describeNodegroup, findMeshClusters, listNodegroups } from '../../src/aws/eks.ts';
import { aws, awsOrMissing, isAwsError } from '../../src/aws/errors.ts';
import {
  LIVE_PEERING_STATES,
  describePeerings,
  describeRouteTables,
  findAddresses,
  findInternetGateways,
  findNatGateways,
  findRouteTables,
  findSecurityGroups,
  findSubnets,
  findVpcs,
} from '../../src/aws/find.ts';
import { MESH_TAG, clusterRoleName, eksClusterName, nodeRoleName, tagValue } from '../../src/aws/tags.ts';
import { getRole } from '../up/aws/iam.ts';
import { leaf, parallel, sequential } from '../../src/steps/step.ts';
import type { Step, StepContext, StepOutcome } from '../../src/steps/step.ts';
import { waitFor } from '../../src/steps/wait.ts';

const EKS_DELETE_TIMEOUT_MS = 25 * 60_000;
const NAT_DELETE_TIMEOUT_MS = 10 * 60_000;
/** How long a delete keeps retrying while AWS says something still depends on the resource. */
const DEPENDENCY_TIMEOUT_MS = 10 * 60_000;

export interface DownOptions {
  /** Regions to search besides the spec's. */
  extraRegions?: string[];
}

/** What down found in one region. */
export interface RegionInventory {
  region: string;
  clusters: { name: string; nodegroups: string[] }[];
  natGateways: string[];
  addresses: string[];
  internetGateways: InternetGateway[];
  subnets: string[];
  routeTables: RouteTable[];
  securityGroups: string[];
  vpcs: string[];
}

export interface DownInventory {
  regions: RegionInventory[];
  /** Peerings of the mesh's VPCs, with the region each is deleted from. */
  peerings: { id: string; region: string; regions: string[] }[];
  roles: string[];
}

export function isEmpty(inv: DownInventory): boolean {
  return (
    inv.peerings.length === 0 &&
    inv.roles.length === 0 &&
    inv.regions.every(
      (r) =>
        r.clusters.length + r.natGateways.length + r.addresses.length + r.internetGateways.length + r.subnets.length + r.routeTables.length + r.securityGroups.length + r.vpcs.length ===
        0,
    )
  );
}

async function inventoryRegion(deps: Deps, region: string): Promise<RegionInventory> {
  const mesh = deps.spec.name;
  const ec2 = deps.aws.ec2(region);
  const eks = deps.aws.eks(region);
  const [clusters, nats, addresses, igws, subnets, tables, groups, vpcs] = await Promise.all([
    findMeshClusters(eks, mesh),
    findNatGateways(ec2, { mesh }, [], ['pending', 'available', 'deleting']),
    findAddresses(ec2, { mesh }),
    findInternetGateways(ec2, { mesh }),
    findSubnets(ec2, { mesh }),
    findRouteTables(ec2, { mesh }),
    findSecurityGroups(ec2, { mesh }),
    findVpcs(ec2, { mesh }),
  ]);
  // EKS deletes its cluster security group with the cluster, but leaves it when something still references it;
  // a leftover one blocks the VPC delete, so it is on the list too (gone already = fine).
  const clusterNames = new Set([...clusters.map((c) => c.name!), ...deps.spec.clusters.map((c) => eksClusterName(mesh, c.name))]);
  const eksGroups = vpcs.length
    ? (await aws('ec2:DescribeSecurityGroups', () =>
        ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: vpcs.map((v) => v.VpcId!) }, { Name: 'tag-key', Values: ['aws:eks:cluster-name'] }] })),
      )).SecurityGroups ?? []
    : [];
  const leftByEks = eksGroups.filter((g) => clusterNames.has(tagValue(g.Tags, 'aws:eks:cluster-name') ?? '') && vpcs.some((v) => v.VpcId === g.VpcId));
  return {
    region,
    clusters: await Promise.all(clusters.map(async (c) => ({ name: c.name!, nodegroups: await listNodegroups(eks, c.name!) }))),
    // A failed NAT gateway holds nothing and AWS removes it by itself.
    natGateways: nats.filter((n) => n.State !== 'failed').map((n) => n.NatGatewayId!),
    addresses: addresses.map((a) => a.AllocationId!),
    internetGateways: igws,
    subnets: subnets.map((s) => s.SubnetId!),
    // The main table goes with its VPC; only tables meshops made are deleted on their own.
    routeTables: tables.filter((t) => !(t.Associations ?? []).some((a) => a.Main)),
    securityGroups: [...new Set([...groups, ...leftByEks].filter((g) => g.GroupName !== 'default').map((g) => g.GroupId!))],
    vpcs: vpcs.map((v) => v.VpcId!),
  };
}

async function findMeshPeerings(deps: Deps, regions: RegionInventory[]): Promise<DownInventory['peerings']> {
  const vpcIds = regions.flatMap((r) => r.vpcs);
  const seen = new Map<string, { id: string; region: string; regions: string[] }>();
  for (const r of regions) {
    const ec2 = deps.aws.ec2(r.region);
    const lists: VpcPeeringConnection[][] = await Promise.all([
      describePeerings(ec2, [{ Name: `tag:${MESH_TAG}`, Values: [deps.spec.name] }], LIVE_PEERING_STATES),
      ...(vpcIds.length
        ? [
            describePeerings(ec2, [{ Name: 'requester-vpc-info.vpc-id', Values: vpcIds }], LIVE_PEERING_STATES),
            describePeerings(ec2, [{ Name: 'accepter-vpc-info.vpc-id', Values: vpcIds }], LIVE_PEERING_STATES),
          ]
        : []),
    ]);
    for (const p of lists.flat()) {
      const id = p.VpcPeeringConnectionId!;
      const sides = [p.RequesterVpcInfo?.Region, p.AccepterVpcInfo?.Region].filter((x): x is string => !!x);
      const entry = seen.get(id) ?? { id, region: r.region, regions: [] };
      entry.regions = [...new Set([...entry.regions, r.region, ...sides])];
      seen.set(id, entry);
    }
  }
  return [...seen.values()];
}

async function findMeshRoles(deps: Deps): Promise<string[]> {
  const mesh = deps.spec.name;
  const roles = await Promise.all([clusterRoleName(mesh), nodeRoleName(mesh)].map((n) => getRole(deps.aws.iam(), n)));
  // Only roles carrying this mesh's tag: never delete a same-named role meshops did not make.
  return roles.filter((r) => r?.Tags?.some((t) => t.Key === MESH_TAG && t.Value === mesh)).map((r) => r!.RoleName!);
}

export async function observeDownInventory(deps: Deps, opts: DownOptions = {}): Promise<DownInventory> {
  const regionNames = [...new Set([...deps.spec.clusters.map((c) => c.region), ...(opts.extraRegions ?? [])])];
  const regions = await Promise.all(regionNames.map((r) => inventoryRegion(deps, r)));
  const [peerings, roles] = await Promise.all([findMeshPeerings(deps, regions), findMeshRoles(deps)]);
  return { regions, peerings, roles };
}

// ---- retrying deletes ----

async function remainingInterfaces(ec2: EC2Client, filter: { Name: string; Values: string[] }): Promise<string> {
  try {
    const out = await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [filter] }));
    const enis = (out.NetworkInterfaces ?? []).map((n) => `${n.NetworkInterfaceId} (${n.Description || n.InterfaceType || 'no description'})`);
    return enis.length ? `; network interfaces still there: ${enis.join(', ')} (load balancers left by Kubernetes Services are the usual cause)` : '';
  } catch {
    return '';
  }
}

/**
 * Deletes one thing, retrying while AWS reports a dependency still in the way (bounded); "not found" counts as
 * deleted. Returns true when it deleted it, false when it was already gone.
 */
async function deleteRetrying(
  deps: Deps,
  ctx: StepContext,
  what: string,
  call: () => Promise<unknown>,
  opts: { notFound: string[]; retryOn?: string[]; explain?: () => Promise<string> },
): Promise<boolean> {
  const retryOn = opts.retryOn ?? ['DependencyViolation'];
  let deleted = false;
  try {
    await waitFor(ctx, {
      what: `deleting ${what}`,
      intervalMs: Math.max(deps.pollIntervalMs, 10),
      timeoutMs: DEPENDENCY_TIMEOUT_MS,
      poll: async () => {
        try {
          await call();
          deleted = true;
          return { done: true, status: 'deleted' };
        } catch (err) {
          if (isAwsError(err, ...opts.notFound)) return { done: true, status: 'already gone' };
          if (isAwsError(err, ...retryOn)) return { done: false, status: `${(err as Error).name}: ${(err as Error).message}` };
          throw err;
        }
      },
    });
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
    const why = opts.explain ? await opts.explain() : '';
    throw new Error(`could not delete ${what}: still blocked after ${Math.round(DEPENDENCY_TIMEOUT_MS / 60000)} min (${err.lastSeen})${why}`, { cause: err });
  }
  return deleted;
}

function outcome(kind: string, region: string, deleted: string[], all: string[]): StepOutcome {
  const gone = all.filter((x) => !deleted.includes(x));
  const parts = [deleted.length ? `deleted ${kind} ${deleted.join(', ')}` : '', gone.length ? `already gone: ${gone.join(', ')}` : ''].filter(Boolean);
  return { summary: `${region}: ${parts.join('; ') || `no ${kind}`}`, changed: deleted.length > 0, resources: Object.fromEntries(deleted.map((id, i) => [`${kind}-${i}`, id])) };
}

// ---- EKS ----

function eksClusterStep(deps: Deps, region: string, c: { name: string; nodegroups: string[] }): Step {
  const eks = deps.aws.eks(region);
  const children: Step[] = [];
  if (c.nodegroups.length) {
    children.push(
      leaf(`down/aws/${region}/${c.name}/nodegroups`, `delete node groups of ${c.name}: ${c.nodegroups.join(', ')}`, async (ctx) => {
        const deleted: string[] = [];
        await Promise.all(
          c.nodegroups.map(async (ng) => {
            // A group still CREATING or UPDATING refuses (ResourceInUseException): retried until it takes the
            // delete. One already DELETING is just waited for below.
            const current = await describeNodegroup(eks, c.name, ng);
            if (!current || current.status === 'DELETING') return;
            const ok = await deleteRetrying(deps, ctx, `node group ${ng}`, () => aws('eks:DeleteNodegroup', () => eks.send(new DeleteNodegroupCommand({ clusterName: c.name, nodegroupName: ng }))), {
              notFound: ['ResourceNotFoundException'],
              retryOn: ['ResourceInUseException'],
            });
            if (ok) deleted.push(ng);
          }),
        );
        await ctx.checkpoint();
        await waitFor(ctx, {
          what: `node groups of ${c.name} to be deleted`,
          intervalMs: deps.pollIntervalMs,
          timeoutMs: EKS_DELETE_TIMEOUT_MS,
          poll: async () => {
            const left = (await Promise.all(c.nodegroups.map((ng) => describeNodegroup(eks, c.name, ng)))).filter((x) => !!x);
            if (left.some((n) => n.status === 'DELETE_FAILED')) {
              throw new Error(`node group deletion failed: ${left.map((n) => `${n.nodegroupName}: ${(n.health?.issues ?? []).map((i) => i.message).join('; ')}`).join(', ')}`);
            }
            return { done: left.length === 0, status: left.map((n) => `${n.nodegroupName} ${n.status}`).join(', ') || 'gone' };
          },
        });
        return outcome('node groups', region, deleted, c.nodegroups);
      }),
    );
  }
  children.push(
    leaf(`down/aws/${region}/${c.name}/cluster`, `delete EKS cluster ${c.name}`, async (ctx) => {
      // EKS refuses while node groups remain (ResourceInUseException): retried until they are gone.
      const deleted = await deleteRetrying(deps, ctx, `EKS cluster ${c.name}`, () => aws('eks:DeleteCluster', () => eks.send(new DeleteClusterCommand({ name: c.name }))), {
        notFound: ['ResourceNotFoundException'],
        retryOn: ['ResourceInUseException'],
      });
      await waitFor(ctx, {
        what: `EKS cluster ${c.name} to be deleted`,
        intervalMs: deps.pollIntervalMs,
        timeoutMs: EKS_DELETE_TIMEOUT_MS,
        poll: async () => {
          const cur = await describeCluster(eks, c.name);
          return { done: !cur, status: cur?.status ?? 'gone' };
        },
      });
      return outcome('EKS cluster', region, deleted ? [c.name] : [], [c.name]);
    }),
  );
  return sequential(`down/aws/${region}/${c.name}`, `EKS cluster ${c.name} (${region})`, children);
}

// ---- NAT gateways ----

function natStep(deps: Deps, region: string, ids: string[]): Step {
  const ec2 = deps.aws.ec2(region);
  return leaf(`down/aws/${region}/nat`, `delete NAT gateways ${ids.join(', ')}`, async (ctx) => {
    const deleted: string[] = [];
    for (const id of ids) {
      const out = await awsOrMissing('ec2:DeleteNatGateway', () => ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: id })), 'NatGatewayNotFound', 'InvalidNatGatewayID.NotFound');
      if (out) deleted.push(id);
    }
    await ctx.checkpoint();
    // Their Elastic IPs can only be released once they are 'deleted'.
    await waitFor(ctx, {
      what: `NAT gateways ${ids.join(', ')} to be deleted`,
      intervalMs: deps.pollIntervalMs,
      timeoutMs: NAT_DELETE_TIMEOUT_MS,
      poll: async () => {
        const out = await awsOrMissing('ec2:DescribeNatGateways', () => ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: ids })), 'NatGatewayNotFound');
        const left = (out?.NatGateways ?? []).filter((n) => n.State !== 'deleted' && n.State !== 'failed');
        return { done: left.length === 0, status: left.map((n) => `${n.NatGatewayId} ${n.State}`).join(', ') || 'deleted' };
      },
    });
    return outcome('NAT gateways', region, deleted, ids);
  });
}

// ---- peering ----

function peeringStepDown(deps: Deps, p: { id: string; region: string; regions: string[] }): Step {
  return leaf(`down/aws/peering/${p.id}`, `delete VPC peering ${p.id} and its routes`, async (ctx) => {
    const routes: string[] = [];
    for (const region of p.regions) {
      const ec2 = deps.aws.ec2(region);
      const tables = await describeRouteTables(ec2, [{ Name: 'route.vpc-peering-connection-id', Values: [p.id] }]);
      for (const t of tables) {
        for (const r of (t.Routes ?? []).filter((x) => x.VpcPeeringConnectionId === p.id && x.DestinationCidrBlock)) {
          await awsOrMissing('ec2:DeleteRoute', () => ec2.send(new DeleteRouteCommand({ RouteTableId: t.RouteTableId!, DestinationCidrBlock: r.DestinationCidrBlock! })), 'InvalidRoute.NotFound', 'InvalidRouteTableID.NotFound');
          routes.push(`${t.RouteTableId}:${r.DestinationCidrBlock}`);
        }
      }
    }
    await ctx.checkpoint();
    const out = await awsOrMissing(
      'ec2:DeleteVpcPeeringConnection',
      () => deps.aws.ec2(p.region).send(new DeleteVpcPeeringConnectionCommand({ VpcPeeringConnectionId: p.id })),
      'InvalidVpcPeeringConnectionID.NotFound',
      'InvalidStateTransition',
    );
    return {
      summary: `${out ? 'deleted' : 'already gone:'} VPC peering ${p.id}${routes.length ? `, routes ${routes.join(', ')}` : ''}`,
      changed: !!out || routes.length > 0,
      resources: { peering: p.id },
    };
  });
}

// ---- per-region network ----

function networkTeardown(deps: Deps, inv: RegionInventory): Step | undefined {
  const region = inv.region;
  const ec2 = deps.aws.ec2(region);
  const id = `down/aws/${region}`;
  const steps: Step[] = [];
  if (inv.addresses.length) {
    steps.push(
      leaf(`${id}/eips`, `release Elastic IPs ${inv.addresses.join(', ')}`, async (ctx) => {
        const deleted: string[] = [];
        for (const a of inv.addresses) {
          const ok = await deleteRetrying(deps, ctx, `Elastic IP ${a}`, () => aws('ec2:ReleaseAddress', () => ec2.send(new ReleaseAddressCommand({ AllocationId: a }))), {
            notFound: ['InvalidAllocationID.NotFound', 'InvalidAddress.NotFound'],
            retryOn: ['InvalidIPAddress.InUse', 'AuthFailure', 'DependencyViolation'],
          });
          if (ok) deleted.push(a);
        }
        return outcome('Elastic IPs', region, deleted, inv.addresses);
      }),
    );
  }
  if (inv.internetGateways.length) {
    const ids = inv.internetGateways.map((g) => g.InternetGatewayId!);
    steps.push(
      leaf(`${id}/igws`, `detach and delete internet gateways ${ids.join(', ')}`, async (ctx) => {
        const deleted: string[] = [];
        for (const g of inv.internetGateways) {
          for (const a of g.Attachments ?? []) {
            // Fails while public addresses are still mapped in the VPC: retried.
            await deleteRetrying(deps, ctx, `attachment of ${g.InternetGatewayId} to ${a.VpcId}`, () => aws('ec2:DetachInternetGateway', () => ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: g.InternetGatewayId!, VpcId: a.VpcId! }))), {
              notFound: ['Gateway.NotAttached', 'InvalidInternetGatewayID.NotFound', 'InvalidVpcID.NotFound'],
            });
          }
          if (await deleteRetrying(deps, ctx, `internet gateway ${g.InternetGatewayId}`, () => aws('ec2:DeleteInternetGateway', () => ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: g.InternetGatewayId! }))), { notFound: ['InvalidInternetGatewayID.NotFound'] })) {
            deleted.push(g.InternetGatewayId!);
          }
        }
        return outcome('internet gateways', region, deleted, ids);
      }),
    );
  }
  if (inv.subnets.length) {
    steps.push(
      leaf(`${id}/subnets`, `delete subnets ${inv.subnets.join(', ')}`, async (ctx) => {
        const deleted: string[] = [];
        for (const s of inv.subnets) {
          const ok = await deleteRetrying(deps, ctx, `subnet ${s}`, () => aws('ec2:DeleteSubnet', () => ec2.send(new DeleteSubnetCommand({ SubnetId: s }))), {
            notFound: ['InvalidSubnetID.NotFound'],
            explain: () => remainingInterfaces(ec2, { Name: 'subnet-id', Values: [s] }),
          });
          if (ok) deleted.push(s);
        }
        return outcome('subnets', region, deleted, inv.subnets);
      }),
    );
  }
  if (inv.routeTables.length) {
    const ids = inv.routeTables.map((t) => t.RouteTableId!);
    steps.push(
      leaf(`${id}/route-tables`, `delete route tables ${ids.join(', ')}`, async (ctx) => {
        const deleted: string[] = [];
        for (const t of inv.routeTables) {
          for (const a of (t.Associations ?? []).filter((x) => !x.Main && x.RouteTableAssociationId)) {
            await awsOrMissing('ec2:DisassociateRouteTable', () => ec2.send(new DisassociateRouteTableCommand({ AssociationId: a.RouteTableAssociationId! })), 'InvalidAssociationID.NotFound');
          }
          if (await deleteRetrying(deps, ctx, `route table ${t.RouteTableId}`, () => aws('ec2:DeleteRouteTable', () => ec2.send(new DeleteRouteTableCommand({ RouteTableId: t.RouteTableId! }))), { notFound: ['InvalidRouteTableID.NotFound'] })) {
            deleted.push(t.RouteTableId!);
          }
        }
        return outcome('route tables', region, deleted, ids);
      }),
    );
  }
  if (inv.securityGroups.length) {
    steps.push(
      leaf(`${id}/security-groups`, `delete security groups ${inv.securityGroups.join(', ')}`, async (ctx) => {
        const deleted: string[] = [];
        for (const g of inv.securityGroups) {
          const ok = await deleteRetrying(deps, ctx, `security group ${g}`, () => aws('ec2:DeleteSecurityGroup', () => ec2.send(new DeleteSecurityGroupCommand({ GroupId: g }))), {
            notFound: ['InvalidGroup.NotFound'],
            explain: () => remainingInterfaces(ec2, { Name: 'group-id', Values: [g] }),
          });
          if (ok) deleted.push(g);
        }
        return outcome('security groups', region, deleted, inv.securityGroups);
      }),
    );
  }
  if (inv.vpcs.length) {
    steps.push(
      leaf(`${id}/vpcs`, `delete VPCs ${inv.vpcs.join(', ')}`, async (ctx) => {
        const deleted: string[] = [];
        for (const v of inv.vpcs) {
          const ok = await deleteRetrying(deps, ctx, `VPC ${v}`, () => aws('ec2:DeleteVpc', () => ec2.send(new DeleteVpcCommand({ VpcId: v }))), {
            notFound: ['InvalidVpcID.NotFound'],
            explain: () => remainingInterfaces(ec2, { Name: 'vpc-id', Values: [v] }),
          });
          if (ok) deleted.push(v);
        }
        return outcome('VPCs', region, deleted, inv.vpcs);
      }),
    );
  }
  return steps.length ? sequential(id, `network in ${region}`, steps) : undefined;
}

// ---- IAM ----

function rolesStep(deps: Deps, roles: string[]): Step {
  const iam = deps.aws.iam();
  return leaf('down/aws/iam', `delete IAM roles ${roles.join(', ')}`, async (ctx) => {
    const deleted: string[] = [];
    for (const name of roles) {
      const attached = await awsOrMissing('iam:ListAttachedRolePolicies', () => iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name })), 'NoSuchEntityException', 'NoSuchEntity');
      if (!attached) continue;
      for (const p of attached.AttachedPolicies ?? []) {
        await awsOrMissing('iam:DetachRolePolicy', () => iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: p.PolicyArn! })), 'NoSuchEntityException', 'NoSuchEntity');
      }
      const inline = await awsOrMissing('iam:ListRolePolicies', () => iam.send(new ListRolePoliciesCommand({ RoleName: name })), 'NoSuchEntityException', 'NoSuchEntity');
      for (const p of inline?.PolicyNames ?? []) {
        await awsOrMissing('iam:DeleteRolePolicy', () => iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: p })), 'NoSuchEntityException', 'NoSuchEntity');
      }
      const profiles = await awsOrMissing('iam:ListInstanceProfilesForRole', () => iam.send(new ListInstanceProfilesForRoleCommand({ RoleName: name })), 'NoSuchEntityException', 'NoSuchEntity');
      for (const ip of profiles?.InstanceProfiles ?? []) {
        await awsOrMissing('iam:RemoveRoleFromInstanceProfile', () => iam.send(new RemoveRoleFromInstanceProfileCommand({ RoleName: name, InstanceProfileName: ip.InstanceProfileName! })), 'NoSuchEntityException', 'NoSuchEntity');
      }
      const ok = await deleteRetrying(deps, ctx, `IAM role ${name}`, () => aws('iam:DeleteRole', () => iam.send(new DeleteRoleCommand({ RoleName: name }))), {
        notFound: ['NoSuchEntityException', 'NoSuchEntity'],
        retryOn: ['DeleteConflictException', 'DeleteConflict'],
      });
      if (ok) deleted.push(name);
    }
    return outcome('IAM roles', 'global', deleted, roles);
  });
}

/** The teardown tree for what an inventory holds (pure: easy to render and to test). */
export function planFromInventory(deps: Deps, inv: DownInventory): Step {
  const first: Step[] = [];
  for (const r of inv.regions) {
    for (const c of r.clusters) first.push(eksClusterStep(deps, r.region, c));
    if (r.natGateways.length) first.push(natStep(deps, r.region, r.natGateways));
  }
  for (const p of inv.peerings) first.push(peeringStepDown(deps, p));
  const networks = inv.regions.map((r) => networkTeardown(deps, r)).filter((s): s is Step => !!s);
  const phases: Step[] = [];
  if (first.length) phases.push(parallel('down/aws/release', 'node groups, clusters, NAT gateways, peerings', first));
  if (networks.length) phases.push(parallel('down/aws/network', 'networks', networks));
  if (inv.roles.length) phases.push(rolesStep(deps, inv.roles));
  return sequential('down/aws', phases.length ? `tear down AWS resources of ${deps.spec.name}` : `nothing of ${deps.spec.name} left in AWS`, phases);
}

/** Observes the mesh's AWS resources and returns the tree that deletes them (empty when nothing is left). */
export async function planDownAws(deps: Deps, opts: DownOptions = {}): Promise<Step> {
  return planFromInventory(deps, await observeDownInventory(deps, opts));
}

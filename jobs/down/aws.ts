// `/mesh down`, AWS half: the reverse tree of `remove` over what `find` returned (src/mesh/aws/inventory.ts),
// side by side where AWS allows:
//   node groups -> clusters  |  load balancers left by Services  |  NAT gateways  |  peerings (and their routes)
//   then per region: Elastic IPs beside VPC endpoints -> internet gateways -> subnets -> route tables ->
//   security groups -> VPCs
//   then the IAM roles.
// Every leaf is idempotent (already gone = fine), so down can be run again after a failure or when done.
import type { Deps } from '../../src/deps.ts';
import * as eksCluster from '../../src/mesh/aws/eks-cluster.ts';
import * as roles from '../../src/mesh/aws/iam-roles.ts';
import * as igw from '../../src/mesh/aws/internet-gateway.ts';
import type { MeshInventory, RegionInventory } from '../../src/mesh/aws/inventory.ts';
import * as loadBalancers from '../../src/mesh/aws/load-balancers.ts';
import * as nat from '../../src/mesh/aws/nat-gateway.ts';
import * as nodeGroup from '../../src/mesh/aws/node-group.ts';
import * as peering from '../../src/mesh/aws/peering.ts';
import * as routes from '../../src/mesh/aws/route-tables.ts';
import * as groups from '../../src/mesh/aws/security-groups.ts';
import * as subnets from '../../src/mesh/aws/subnets.ts';
import * as vpc from '../../src/mesh/aws/vpc.ts';
import * as endpoints from '../../src/mesh/aws/vpc-endpoints.ts';
import { leaf, parallel, type Step, sequential } from '../../src/steps/step.ts';

const gone = { state: 'delete' as const };

function clusterTeardown(deps: Deps, region: string, c: { name: string; nodegroups: string[] }): Step {
  const id = `down/aws/${region}/${c.name}`;
  const children: Step[] = [];
  if (c.nodegroups.length) {
    children.push(
      leaf(
        `${id}/nodegroups`,
        `delete node groups of ${c.name}: ${c.nodegroups.join(', ')}`,
        (ctx) => nodeGroup.remove(deps, ctx, region, c.name, c.nodegroups),
        async () => ({ ...gone, detail: c.nodegroups.join(', ') }),
      ),
    );
  }
  children.push(
    leaf(
      `${id}/cluster`,
      `delete EKS cluster ${c.name}`,
      (ctx) => eksCluster.remove(deps, ctx, region, c.name),
      async () => gone,
    ),
  );
  return sequential(id, `EKS cluster ${c.name} (${region})`, children);
}

function networkTeardown(deps: Deps, inv: RegionInventory): Step | undefined {
  const { region } = inv;
  const id = `down/aws/${region}`;
  const chain: Step[] = [];
  const one = (key: string, title: string, ids: string[], run: Parameters<typeof leaf>[2]) =>
    ids.length && chain.push(leaf(`${id}/${key}`, `${title} ${ids.join(', ')}`, run, async () => gone));
  // What others put into the VPCs goes first: the endpoints hold subnets and groups.
  const endpointIds = inv.vpcEndpoints.map((e) => e.id);
  one('vpc-endpoints', 'delete VPC endpoints', endpointIds, (ctx) => endpoints.remove(deps, ctx, region, endpointIds));
  const igwIds = inv.internetGateways.map((g) => g.InternetGatewayId!);
  one('igws', 'detach and delete internet gateways', igwIds, (ctx) =>
    igw.remove(deps, ctx, region, inv.internetGateways),
  );
  one('subnets', 'delete subnets', inv.subnets, (ctx) => subnets.remove(deps, ctx, region, inv.subnets));
  const tableIds = inv.routeTables.map((t) => t.RouteTableId!);
  one('route-tables', 'delete route tables', tableIds, (ctx) => routes.remove(deps, ctx, region, inv.routeTables));
  one('security-groups', 'delete security groups', inv.securityGroups, (ctx) =>
    groups.remove(deps, ctx, region, inv.securityGroups),
  );
  one('vpcs', 'delete VPCs', inv.vpcs, (ctx) => vpc.remove(deps, ctx, region, inv.vpcs));
  const parts: Step[] = [];
  if (inv.addresses.length) {
    // Beside the rest: an address AWS will not release yet must not hold up the VPC.
    const title = `release Elastic IPs ${inv.addresses.join(', ')}`;
    parts.push(
      leaf(
        `${id}/eips`,
        title,
        (ctx) => nat.releaseAddresses(deps, ctx, region, inv.addresses),
        async () => gone,
      ),
    );
  }
  if (chain.length) parts.push(sequential(`${id}/chain`, `network in ${region}, in order`, chain));
  if (!parts.length) return undefined;
  return parts.length === 1 ? parts[0] : parallel(id, `network in ${region}`, parts);
}

/** The teardown tree for what the inventory holds (pure: easy to render and to test). */
export function planFromInventory(deps: Deps, inv: MeshInventory): Step {
  const first: Step[] = [];
  for (const r of inv.regions) {
    for (const c of r.clusters) first.push(clusterTeardown(deps, r.region, c));
    if (r.loadBalancers.length || r.targetGroups.length) {
      // Their Services were deleted before (down's Kubernetes part), so these are what no controller cleans up:
      // a cluster already gone, or a controller that did not finish in time.
      const { loadBalancers: lbs, targetGroups: tgs } = r;
      const names = [...lbs.map((l) => l.name), ...tgs.map((t) => t.name)];
      const what = [lbs.length ? 'load balancers' : '', tgs.length ? 'target groups' : ''].filter(Boolean);
      const title = `delete ${what.join(' and ')} left by Kubernetes Services ${names.join(', ')}`;
      const run = (ctx: Parameters<Parameters<typeof leaf>[2]>[0]) =>
        loadBalancers.remove(deps, ctx, r.region, lbs, tgs);
      first.push(leaf(`down/aws/${r.region}/load-balancers`, title, run, async () => gone));
    }
    if (r.natGateways.length) {
      const title = `delete NAT gateways ${r.natGateways.join(', ')}`;
      const run = (ctx: Parameters<Parameters<typeof leaf>[2]>[0]) => nat.remove(deps, ctx, r.region, r.natGateways);
      first.push(leaf(`down/aws/${r.region}/nat`, title, run, async () => gone));
    }
  }
  for (const p of inv.peerings) {
    const title = `delete VPC peering ${p.id} and its routes`;
    first.push(
      leaf(
        `down/aws/peering/${p.id}`,
        title,
        (ctx) => peering.remove(deps, ctx, p),
        async () => gone,
      ),
    );
  }
  const networks = inv.regions.map((r) => networkTeardown(deps, r)).filter((s): s is Step => !!s);
  const phases: Step[] = [];
  if (first.length) phases.push(parallel('down/aws/release', 'node groups, clusters, NAT gateways, peerings', first));
  if (networks.length) phases.push(parallel('down/aws/network', 'networks', networks));
  if (inv.roles.length) {
    const title = `delete IAM roles ${inv.roles.join(', ')}`;
    phases.push(
      leaf(
        'down/aws/iam',
        title,
        (ctx) => roles.remove(deps, ctx, inv.roles),
        async () => gone,
      ),
    );
  }
  const title = phases.length
    ? `tear down AWS resources of ${deps.spec.name}`
    : `nothing of ${deps.spec.name} left in AWS`;
  return sequential('down/aws', title, phases);
}

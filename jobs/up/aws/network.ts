// A cluster's network as steps, in dependency order: VPC, then its DNS attributes and subnets side by side, internet
// gateway, public routes, the two NAT gateways side by side, private routes. What each piece is and does lives in its
// module of src/mesh/aws/. Split in two for `up`'s critical path: the control plane needs only the VPC, its DNS and
// subnets (networkCoreStep); the egress (internet gateway, NAT gateways, routes: networkEgressStep) is needed by the
// nodes, and is built meanwhile.
import type { ClusterSpec } from '../../../src/config/spec-types.ts';
import type { Deps } from '../../../src/deps.ts';
import { AZ_INDEXES, clusterScope } from '../../../src/mesh/aws/common.ts';
import * as igw from '../../../src/mesh/aws/internet-gateway.ts';
import * as nat from '../../../src/mesh/aws/nat-gateway.ts';
import * as routes from '../../../src/mesh/aws/route-tables.ts';
import * as subnets from '../../../src/mesh/aws/subnets.ts';
import * as vpc from '../../../src/mesh/aws/vpc.ts';
import { leaf, parallel, type Step, sequential } from '../../../src/steps/step.ts';

/** The whole network of one cluster, in order. */
export function networkStep(deps: Deps, cluster: ClusterSpec): Step {
  return sequential(`network/${cluster.name}`, `network of ${cluster.name} (${cluster.region})`, [
    ...coreLeaves(deps, cluster),
    ...egressLeaves(deps, cluster),
  ]);
}

/** VPC and subnets: all a control plane needs of the network. */
export function networkCoreStep(deps: Deps, cluster: ClusterSpec): Step {
  const title = `VPC and subnets of ${cluster.name} (${cluster.region})`;
  return sequential(`network/${cluster.name}/core`, title, coreLeaves(deps, cluster));
}

/** Internet gateway, NAT gateways and routes: what the nodes need to reach the internet. */
export function networkEgressStep(deps: Deps, cluster: ClusterSpec): Step {
  const title = `internet gateway, NAT gateways and routes of ${cluster.name} (${cluster.region})`;
  return sequential(`network/${cluster.name}/egress`, title, egressLeaves(deps, cluster));
}

function coreLeaves(deps: Deps, cluster: ClusterSpec): Step[] {
  const s = clusterScope(deps, cluster);
  const id = `network/${cluster.name}`;
  return [
    leaf(
      `${id}/vpc`,
      `VPC ${cluster.vpcCidr}`,
      (ctx) => vpc.ensure(s, ctx),
      () => vpc.observe(s),
    ),
    // Side by side: neither needs the other, and the DNS attributes' first call may wait out EC2's consistency lag.
    parallel(`${id}/in-vpc`, 'DNS and subnets', [
      leaf(
        `${id}/dns`,
        'DNS support and DNS hostnames',
        () => vpc.ensureDns(s),
        () => vpc.observeDns(s),
      ),
      leaf(
        `${id}/subnets`,
        'public and private subnets in two AZs',
        (ctx) => subnets.ensure(s, ctx),
        () => subnets.observe(s),
      ),
    ]),
  ];
}

function egressLeaves(deps: Deps, cluster: ClusterSpec): Step[] {
  const s = clusterScope(deps, cluster);
  const id = `network/${cluster.name}`;
  return [
    leaf(
      `${id}/igw`,
      'internet gateway',
      (ctx) => igw.ensure(s, ctx),
      () => igw.observe(s),
    ),
    leaf(
      `${id}/public-routes`,
      'public route table',
      (ctx) => routes.ensurePublic(s, ctx),
      () => routes.observePublic(s),
    ),
    parallel(
      `${id}/nat`,
      'NAT gateways',
      AZ_INDEXES.map((k) =>
        leaf(
          `${id}/nat-${k + 1}`,
          `NAT gateway in AZ ${k + 1}`,
          (ctx) => nat.ensure(s, k, ctx),
          () => nat.observe(s, k),
        ),
      ),
    ),
    leaf(
      `${id}/private-routes`,
      'private route tables (one per AZ)',
      (ctx) => routes.ensurePrivate(s, ctx),
      () => routes.observePrivate(s),
    ),
  ];
}

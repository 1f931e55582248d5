// A cluster's network as steps, in dependency order: VPC, subnets, internet gateway, public routes, the two NAT
// gateways side by side, private routes. What each piece is and does lives in its module of src/mesh/aws/.
import type { ClusterSpec } from '../../../src/config/spec-types.ts';
import type { Deps } from '../../../src/deps.ts';
import { AZ_INDEXES, clusterScope } from '../../../src/mesh/aws/common.ts';
import * as igw from '../../../src/mesh/aws/internet-gateway.ts';
import * as nat from '../../../src/mesh/aws/nat-gateway.ts';
import * as routes from '../../../src/mesh/aws/route-tables.ts';
import * as subnets from '../../../src/mesh/aws/subnets.ts';
import * as vpc from '../../../src/mesh/aws/vpc.ts';
import { leaf, parallel, type Step, sequential } from '../../../src/steps/step.ts';

export function networkStep(deps: Deps, cluster: ClusterSpec): Step {
  const s = clusterScope(deps, cluster);
  const id = `network/${cluster.name}`;
  return sequential(id, `network of ${cluster.name} (${cluster.region})`, [
    leaf(
      `${id}/vpc`,
      `VPC ${cluster.vpcCidr}`,
      (ctx) => vpc.ensure(s, ctx),
      () => vpc.observe(s),
    ),
    leaf(
      `${id}/subnets`,
      'public and private subnets in two AZs',
      (ctx) => subnets.ensure(s, ctx),
      () => subnets.observe(s),
    ),
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
  ]);
}

// One pair's peering as steps: the connection, DNS across it, the routes to each other (src/mesh/aws/peering.ts).
import type { ClusterSpec } from '../../../src/config/spec-types.ts';
import type { Deps } from '../../../src/deps.ts';
import * as peering from '../../../src/mesh/aws/peering.ts';
import { leaf, type Step, sequential } from '../../../src/steps/step.ts';

export function peeringStep(deps: Deps, a: ClusterSpec, b: ClusterSpec): Step {
  const p = peering.pairOf(deps, a, b);
  const id = `peering/${a.name}-${b.name}`;
  return sequential(id, `VPC peering ${a.name} <-> ${b.name}`, [
    leaf(
      `${id}/connection`,
      `peering ${a.name} (${a.region}) <-> ${b.name} (${b.region})`,
      (ctx) => peering.ensureConnection(p, ctx),
      () => peering.observeConnection(p),
    ),
    leaf(
      `${id}/dns`,
      'DNS resolution across the peering',
      () => peering.ensureDns(p),
      () => peering.observeDns(p),
    ),
    leaf(
      `${id}/routes`,
      `routes ${a.vpcCidr} <-> ${b.vpcCidr}`,
      () => peering.ensureRoutes(p),
      () => peering.observeRoutes(p),
    ),
  ]);
}

// What of the mesh is running and billed by the hour, per region, as the cost model counts it.

import type { ObservedRegion } from '../../cost.ts';
import type { Deps } from '../../deps.ts';
import { findMeshClusters } from './eks-cluster.ts';
import { meshRegions } from './inventory.ts';
import { findAddresses, findNatGateways } from './nat-gateway.ts';
import { describeNodegroup, listNodegroups } from './node-group.ts';
import { listVersions, supportOf } from './versions.ts';

export async function findBilled(deps: Deps): Promise<ObservedRegion[]> {
  const mesh = deps.spec.name;
  return Promise.all(
    meshRegions(deps).map(async (region) => {
      const eks = deps.aws.eks(region);
      const ec2 = deps.aws.ec2(region);
      const [clusters, nats, addresses, versions] = await Promise.all([
        findMeshClusters(eks, mesh),
        findNatGateways(ec2, { mesh }, [], ['pending', 'available']),
        findAddresses(ec2, { mesh }),
        listVersions(eks).catch(() => []),
      ]);
      // Billed by the version's support status today (past standard support: the extended price).
      const now = deps.clock.now();
      const extended = clusters.filter(
        (c) =>
          supportOf(
            versions.find((v) => v.version === c.version),
            now,
          ) === 'extended',
      );
      const nodes: ObservedRegion['nodes'] = [];
      for (const c of clusters) {
        for (const ngName of await listNodegroups(eks, c.name!)) {
          const ng = await describeNodegroup(eks, c.name!, ngName);
          if (!ng) continue;
          const count = ng.scalingConfig?.desiredSize ?? 0;
          nodes.push({ instanceType: ng.instanceTypes?.[0] ?? 'unknown', count, diskGiB: ng.diskSize ?? 0 });
        }
      }
      return {
        region,
        eksClusters: clusters.length,
        eksExtendedClusters: extended.length,
        nodes,
        natGateways: nats.length,
        publicIpv4: addresses.length,
      };
    }),
  );
}

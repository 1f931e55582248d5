// The tree of `/mesh up`: what does not depend on each other runs side by side (both regions' networks and IAM;
// every peering and every cluster's chain; the federation and the workloads), what does waits.
import type { ClusterSpec } from '../../src/config/spec-types.ts';
import type { Deps } from '../../src/deps.ts';
import { parallel, type Step, sequential } from '../../src/steps/step.ts';
import { controlPlaneStep, nodeGroupStep, scaleNodeGroupStep, securityRulesStep } from './aws/eks.ts';
import { iamStep } from './aws/iam.ts';
import { networkStep } from './aws/network.ts';
import { peeringStep } from './aws/peering.ts';
import { calicoReadyStep } from './kube/calico-ready.ts';
import { cniSwapStep } from './kube/cni-swap.ts';
import { meshPairStep } from './kube/mesh-pair.ts';
import { meshSyncStep } from './kube/mesh-sync.ts';
import { verifyStep } from './kube/verify.ts';
import { workloadsStep } from './kube/workloads.ts';

/** Every unordered pair once: peerings are symmetric. */
export function clusterPairs(clusters: ClusterSpec[]): Array<[ClusterSpec, ClusterSpec]> {
  const out: Array<[ClusterSpec, ClusterSpec]> = [];
  clusters.forEach((a, i) => clusters.slice(i + 1).forEach((b) => out.push([a, b])));
  return out;
}

/** Every ordered pair: federation goes one way per pair. */
export function orderedPairs(clusters: ClusterSpec[]): Array<[ClusterSpec, ClusterSpec]> {
  return clusters.flatMap((s) => clusters.filter((d) => d !== s).map((d): [ClusterSpec, ClusterSpec] => [s, d]));
}

/** One cluster from control plane to Calico Available: EKS, a node group at 0, the CNI swap, then the nodes. */
export function clusterChain(deps: Deps, c: ClusterSpec): Step {
  return sequential(`cluster/${c.name}`, `Cluster ${c.name} (${c.region})`, [
    controlPlaneStep(deps, c),
    securityRulesStep(deps, c),
    nodeGroupStep(deps, c),
    cniSwapStep(deps, c),
    scaleNodeGroupStep(deps, c),
    calicoReadyStep(deps, c),
  ]);
}

export function planUp(deps: Deps): Step {
  const { clusters } = deps.spec;
  return sequential('up', `Mesh ${deps.spec.name}: ${clusters.map((c) => `${c.name} (${c.region})`).join(', ')}`, [
    parallel('foundation', 'Networks and IAM roles', [iamStep(deps), ...clusters.map((c) => networkStep(deps, c))]),
    parallel('clusters', 'Peerings, and every cluster from control plane to Calico', [
      ...clusterPairs(clusters).map(([a, b]) => peeringStep(deps, a, b)),
      ...clusters.map((c) => clusterChain(deps, c)),
    ]),
    parallel('mesh', 'Cluster mesh and workloads', [
      sequential('federation', 'Federation', [
        parallel(
          'federation/pairs',
          'Remote cluster access, every ordered pair',
          orderedPairs(clusters).map(([s, d]) => meshPairStep(deps, s, d)),
        ),
        parallel(
          'federation/sync',
          'Typha in sync with every remote',
          clusters.map((c) => meshSyncStep(deps, c)),
        ),
      ]),
      parallel(
        'workloads',
        'Workloads',
        clusters.map((c) => workloadsStep(deps, c)),
      ),
    ]),
    verifyStep(deps),
  ]);
}

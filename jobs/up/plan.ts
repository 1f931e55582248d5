// The tree of `/mesh up`, shaped after AWS's own dependencies: a control plane needs its subnets and the cluster
// role, not the NAT gateways, so every control plane starts as soon as the VPCs and subnets exist; the egress
// (internet gateway, NAT gateways, routes) and the peerings are built while the control planes come up, and the
// nodes wait for both. Then the federation and the workloads side by side, and each public endpoint closed to the
// spec's CIDRs meanwhile (it needs every region's NAT addresses).
import type { ClusterSpec } from '../../src/config/spec-types.ts';
import type { Deps } from '../../src/deps.ts';
import { parallel, type Step, sequential } from '../../src/steps/step.ts';
import {
  accessEntryStep,
  controlPlaneStep,
  endpointAccessStep,
  nodeGroupStep,
  scaleNodeGroupStep,
  securityRulesStep,
} from './aws/eks.ts';
import { iamStep } from './aws/iam.ts';
import { networkCoreStep, networkEgressStep } from './aws/network.ts';
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

/** One control plane, the worker's access to it and the mesh's rules on its security group. */
function controlPlaneChain(deps: Deps, c: ClusterSpec): Step {
  return sequential(`cluster/${c.name}/eks`, `Control plane ${c.name} (${c.region})`, [
    controlPlaneStep(deps, c),
    accessEntryStep(deps, c),
    securityRulesStep(deps, c),
  ]);
}

/**
 * One cluster to Calico Available, in the order of Tigera's EKS guide: the CNI swap on the node-less control plane,
 * then the node group at its size (its nodes join with Calico), the size checked (a group an older run left at
 * another size is scaled), and the nodes Ready.
 */
function nodesChain(deps: Deps, c: ClusterSpec): Step {
  return sequential(`cluster/${c.name}`, `Cluster ${c.name} (${c.region}): Calico and nodes`, [
    cniSwapStep(deps, c),
    nodeGroupStep(deps, c),
    scaleNodeGroupStep(deps, c),
    calicoReadyStep(deps, c),
  ]);
}

export function planUp(deps: Deps): Step {
  const { clusters } = deps.spec;
  return sequential('up', `Mesh ${deps.spec.name}: ${clusters.map((c) => `${c.name} (${c.region})`).join(', ')}`, [
    parallel('foundation', 'IAM roles, VPCs and subnets', [
      iamStep(deps),
      ...clusters.map((c) => networkCoreStep(deps, c)),
    ]),
    parallel('control-planes', 'Control planes, and meanwhile NAT gateways, routes and peerings', [
      ...clusters.map((c) => controlPlaneChain(deps, c)),
      sequential('egress', 'Egress and peerings', [
        parallel(
          'egress/networks',
          'Internet and NAT gateways, routes',
          clusters.map((c) => networkEgressStep(deps, c)),
        ),
        parallel(
          'egress/peerings',
          'VPC peerings',
          clusterPairs(clusters).map(([a, b]) => peeringStep(deps, a, b)),
        ),
      ]),
    ]),
    parallel(
      'clusters',
      'Every cluster from node group to Calico',
      clusters.map((c) => nodesChain(deps, c)),
    ),
    parallel('mesh', 'Cluster mesh, workloads and endpoint access', [
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
      parallel(
        'endpoints',
        'Public endpoint access',
        clusters.map((c) => endpointAccessStep(deps, c)),
      ),
    ]),
    verifyStep(deps),
  ]);
}

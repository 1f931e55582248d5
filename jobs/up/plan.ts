// The tree of `/mesh up`, wired after AWS's and Tigera's own dependencies rather than in phases: each cluster goes
// on as soon as what it needs exists, never waiting for the other clusters or for steps it does not need.
//   control plane <- the IAM roles and the VPCs and subnets (a short barrier: API calls), not the NAT gateways;
//   aws-node deleted <- its control plane; the node group <- that, its own NAT gateways and routes, the node role;
//   the operator and Installation <- aws-node gone, side by side with the node group (the operator runs once a
//     node has joined); Calico ready <- both; its workloads <- its own Calico;
//   peerings <- both networks; each public endpoint closed to the spec's CIDRs <- every region's NAT addresses and
//     its node group at its size (EKS refuses a node group while the cluster is UPDATING, eksctl#2244);
//   federation: a source's identity <- its operator applied and its node group (calico-system); a pair <- its
//     destination's Calico and its source's identity; a destination's sync <- its pairs; the pings <- everything.
// The Calico manifests are downloaded at the start (aws-node, and so the node group, wait for them).
// Cross-branch dependencies are runsAfter (src/steps/step.ts); the tree gives the order within a branch.
import type { ClusterSpec } from '../../src/config/spec-types.ts';
import type { Deps } from '../../src/deps.ts';
import { otherClusters } from '../../src/mesh/kube/names.ts';
import { parallel, runsAfter, type Step, sequential } from '../../src/steps/step.ts';
import {
  accessEntryStep,
  controlPlaneStep,
  endpointAccessStep,
  nodeGroupRequestedId,
  nodeGroupStep,
  scaleNodeGroupStep,
  securityRulesStep,
} from './aws/eks.ts';
import { iamStep } from './aws/iam.ts';
import { networkCoreStep, networkEgressStep } from './aws/network.ts';
import { peeringStep } from './aws/peering.ts';
import { calicoReadyStep } from './kube/calico-ready.ts';
import { awsNodeStep, calicoManifestsStep, cniSwapStep } from './kube/cni-swap.ts';
import { meshIdentityStep } from './kube/mesh-identity.ts';
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

/**
 * One cluster from its control plane to its workloads, in the order of Tigera's EKS guide: the control plane
 * without nodes, aws-node deleted, then the node group at its size (its nodes join with Calico) while the operator
 * and the Installation are applied, the size checked (a group an older run left at another size is scaled), nodes
 * Ready and Calico Available, and the test workloads.
 */
function clusterChain(deps: Deps, c: ClusterSpec): Step {
  return sequential(`cluster/${c.name}`, `Cluster ${c.name} (${c.region}): control plane to workloads`, [
    controlPlaneStep(deps, c),
    accessEntryStep(deps, c),
    // No node group for a release that cannot be installed: the download must have worked.
    runsAfter(['calico/manifests'], awsNodeStep(deps, c)),
    parallel(`cluster/${c.name}/nodes`, `${c.name}: node group and Calico side by side`, [
      sequential(`cluster/${c.name}/group`, `${c.name}: node group`, [
        runsAfter([`network/${c.name}/egress`], nodeGroupStep(deps, c)),
        scaleNodeGroupStep(deps, c),
      ]),
      // After the CreateNodegroup: the operator's CRDs keep the worker and the API server busy for a moment, and
      // the node group is on AWS's critical path, the install is not (it has the group's minutes to finish).
      runsAfter([nodeGroupRequestedId(c)], cniSwapStep(deps, c)),
      // Calico's traffic needs them, the node group's create does not: after it, not on its way.
      runsAfter([nodeGroupRequestedId(c)], securityRulesStep(deps, c)),
    ]),
    calicoReadyStep(deps, c),
    workloadsStep(deps, c),
  ]);
}

export function planUp(deps: Deps): Step {
  const { clusters } = deps.spec;
  const egress = clusters.map((c) => `network/${c.name}/egress`);
  return sequential('up', `Mesh ${deps.spec.name}: ${clusters.map((c) => `${c.name} (${c.region})`).join(', ')}`, [
    // A first barrier, but a short one (API calls only): a missing IAM permission stops up here, before anything
    // that costs money (NAT gateways) is made.
    parallel('foundation', 'IAM roles, VPCs and subnets', [
      iamStep(deps),
      ...clusters.map((c) => networkCoreStep(deps, c)),
    ]),
    parallel('build', 'Every cluster from its control plane to its workloads, each as soon as it can', [
      ...clusters.map((c) => networkEgressStep(deps, c)),
      calicoManifestsStep(deps),
      ...clusters.map((c) => clusterChain(deps, c)),
      runsAfter(
        egress,
        parallel(
          'peerings',
          'VPC peerings',
          clusterPairs(clusters).map(([a, b]) => peeringStep(deps, a, b)),
        ),
      ),
      parallel(
        'endpoints',
        "Public endpoint access (every region's NAT addresses)",
        clusters.map((c) => runsAfter([...egress, `cluster/${c.name}/group`], endpointAccessStep(deps, c))),
      ),
      // Federation by its own dependencies: each source's identity while its Calico comes up; a pair once its
      // destination serves the Cluster Mesh API and its source's token exists; a destination's sync once its pairs
      // are written. The first cluster ready does not wait for the last to write its pairs.
      parallel('federation', 'Federation: identities, remote cluster access for every ordered pair, Typha in sync', [
        // After the node group too: tigera-operator makes calico-system only once a node has joined, and the wait
        // must not outlive a node group that failed.
        ...clusters.map((c) =>
          runsAfter([`cluster/${c.name}/group`, `calico/${c.name}/install`], meshIdentityStep(deps, c)),
        ),
        ...orderedPairs(clusters).map(([s, d]) =>
          runsAfter([`mesh/${s.name}/identity`, `calico/${d.name}/ready`], meshPairStep(deps, s, d)),
        ),
        ...clusters.map((d) =>
          runsAfter(
            otherClusters(deps, d).map((s) => `mesh/${s.name}-to-${d.name}`),
            meshSyncStep(deps, d),
          ),
        ),
      ]),
    ]),
    verifyStep(deps),
  ]);
}

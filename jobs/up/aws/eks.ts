// A cluster's EKS side as steps: control plane, the mesh's rules on its security group, the node group at the
// spec's size (after the CNI swap), and scaling it (src/mesh/aws/eks-cluster.ts, node-rules.ts, node-group.ts).

import { eksClusterName, nodeGroupName } from '../../../src/aws/tags.ts';
import type { ClusterSpec } from '../../../src/config/spec-types.ts';
import type { Deps } from '../../../src/deps.ts';
import * as accessEntry from '../../../src/mesh/aws/access-entry.ts';
import { clusterScope } from '../../../src/mesh/aws/common.ts';
import * as eksCluster from '../../../src/mesh/aws/eks-cluster.ts';
import * as endpointAccess from '../../../src/mesh/aws/endpoint-access.ts';
import * as nodeGroup from '../../../src/mesh/aws/node-group.ts';
import * as nodeRules from '../../../src/mesh/aws/node-rules.ts';
import { leaf, type Step, sequential } from '../../../src/steps/step.ts';

export function controlPlaneStep(deps: Deps, cluster: ClusterSpec): Step {
  const s = clusterScope(deps, cluster);
  const version = deps.spec.kubernetesVersion ?? 'newest in standard support';
  const title = `EKS control plane ${eksClusterName(deps.spec.name, cluster.name)} (Kubernetes ${version})`;
  return leaf(
    `cluster/${cluster.name}/control-plane`,
    title,
    (ctx) => eksCluster.ensure(s, ctx),
    () => eksCluster.observe(s),
  );
}

/** The worker's own access entry: it may run as another principal than the one that created the cluster. */
export function accessEntryStep(deps: Deps, cluster: ClusterSpec): Step {
  const s = clusterScope(deps, cluster);
  return leaf(
    `cluster/${cluster.name}/access-entry`,
    "access entry for the worker's principal (cluster admin)",
    () => accessEntry.ensure(s),
    () => accessEntry.observe(s),
  );
}

/** The public endpoint admits the spec's CIDRs and the mesh's NAT addresses (or stays open: none named). */
export function endpointAccessStep(deps: Deps, cluster: ClusterSpec): Step {
  const s = clusterScope(deps, cluster);
  const title = deps.spec.publicAccessCidrs?.length
    ? `public endpoint: ${deps.spec.publicAccessCidrs.join(', ')} and the mesh's NAT addresses only`
    : 'public endpoint: open to 0.0.0.0/0 (no publicAccessCidrs in the spec)';
  return leaf(
    `cluster/${cluster.name}/endpoint-access`,
    title,
    (ctx) => endpointAccess.ensure(s, ctx),
    () => endpointAccess.observe(s),
  );
}

export function securityRulesStep(deps: Deps, cluster: ClusterSpec): Step {
  const s = clusterScope(deps, cluster);
  const title = 'security rules for Calico (VXLAN from the peers, API server)';
  return leaf(
    `cluster/${cluster.name}/security-rules`,
    title,
    () => nodeRules.ensure(s),
    () => nodeRules.observe(s),
  );
}

/**
 * The node group in two leaves: asked for (EKS accepts it, CREATING), then ACTIVE. The plan starts the cluster's
 * Calico install after the first (`nodeGroupRequestedId`), so the create is not queued behind the operator's CRDs.
 */
export function nodeGroupStep(deps: Deps, cluster: ClusterSpec): Step {
  const s = clusterScope(deps, cluster);
  const { instanceType, desiredSize } = cluster.nodeGroup;
  const name = nodeGroupName(deps.spec.name, cluster.name);
  return sequential(`cluster/${cluster.name}/nodegroup`, `node group ${name}`, [
    leaf(
      nodeGroupRequestedId(cluster),
      `node group ${name} (${desiredSize} x ${instanceType})`,
      (ctx) => nodeGroup.ensureRequested(s, ctx),
      () => nodeGroup.observe(s),
    ),
    leaf(
      `cluster/${cluster.name}/nodegroup/active`,
      `node group ${name} ACTIVE`,
      (ctx) => nodeGroup.ensureActive(s, ctx),
      () => nodeGroup.observeActive(s),
    ),
  ]);
}

export const nodeGroupRequestedId = (cluster: ClusterSpec) => `cluster/${cluster.name}/nodegroup/create`;

export function scaleNodeGroupStep(
  deps: Deps,
  cluster: ClusterSpec,
  desiredSize = cluster.nodeGroup.desiredSize,
): Step {
  const s = clusterScope(deps, cluster);
  return leaf(
    `cluster/${cluster.name}/scale`,
    `scale node group to ${desiredSize}`,
    (ctx) => nodeGroup.scale(s, desiredSize, ctx),
    () => nodeGroup.observeScale(s, desiredSize),
  );
}

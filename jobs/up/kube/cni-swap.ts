// `/mesh up`, one cluster: replace aws-node with Calico (src/mesh/kube/calico.ts does the work). In two steps:
// aws-node goes before the node group (no node may ever run it), the operator and the Installation while the
// node group comes up (the operator starts once a node has joined).
import type { ClusterSpec } from '../../../src/config/spec-types.ts';
import type { Deps } from '../../../src/deps.ts';
import * as calico from '../../../src/mesh/kube/calico.ts';
import { operatorUrl, prefetchOperator } from '../../../src/mesh/kube/calico-install.ts';
import { kubeFor } from '../../../src/mesh/kube/names.ts';
import { type LeafStep, leaf, type Observation } from '../../../src/steps/step.ts';

/**
 * The release's install manifests, downloaded and parsed while the control planes come up: the installs find
 * them ready instead of parsing megabytes while the node groups are being created, and a release that does not
 * exist fails at the start (the plan makes no node group then).
 */
export function calicoManifestsStep(deps: Deps): LeafStep {
  const { variant, version } = deps.spec.calico;
  return leaf('calico/manifests', `download the Calico ${variant} ${version} install manifests`, async () => {
    const got = await prefetchOperator(deps);
    return {
      summary: `${got.files.join(', ')} (${got.objects} objects) from ${operatorUrl(deps, '').replace(/\/$/, '')}`,
      changed: false,
    };
  });
}

export function awsNodeStep(deps: Deps, cluster: ClusterSpec): LeafStep {
  return leaf(
    `calico/${cluster.name}/aws-node`,
    `${cluster.name}: delete the AWS VPC CNI (DaemonSet aws-node) before any node joins`,
    async (ctx) => calico.removeAwsNode(ctx, deps, await kubeFor(deps, cluster), cluster),
    async (): Promise<Observation> => {
      const found = await calico.find(await kubeFor(deps, cluster));
      return found.awsNode
        ? { state: 'delete', detail: 'DaemonSet kube-system/aws-node' }
        : { state: 'ok', detail: 'no aws-node DaemonSet' };
    },
  );
}

export function cniSwapStep(deps: Deps, cluster: ClusterSpec): LeafStep {
  const { variant, version } = deps.spec.calico;
  return leaf(
    `calico/${cluster.name}/install`,
    `${cluster.name}: replace aws-node with Calico ${variant} ${version} (pod CIDR ${cluster.podCidr})`,
    async (ctx) => calico.ensure(ctx, deps, await kubeFor(deps, cluster), cluster),
    async (): Promise<Observation> => {
      const found = await calico.find(await kubeFor(deps, cluster));
      if (!found.awsNode && found.installation) {
        return { state: 'exists', detail: `Calico Installation default (pool ${found.pool ?? '?'}), aws-node gone` };
      }
      if (!found.installation) {
        const detail = found.awsNode ? 'aws-node still installed, no Calico' : 'no CNI installed yet';
        return { state: found.awsNode ? 'missing' : 'partial', detail };
      }
      return { state: 'partial', detail: 'Calico installed but aws-node still present' };
    },
  );
}

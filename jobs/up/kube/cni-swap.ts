// `/mesh up`, one cluster: replace aws-node with Calico (src/mesh/kube/calico.ts does the work).
import type { ClusterSpec } from '../../../src/config/spec-types.ts';
import type { Deps } from '../../../src/deps.ts';
import * as calico from '../../../src/mesh/kube/calico.ts';
import { kubeFor } from '../../../src/mesh/kube/names.ts';
import { type LeafStep, leaf, type Observation } from '../../../src/steps/step.ts';

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

// `/mesh up`, one cluster, after the node group is scaled: nodes Ready, Calico Available, the Cluster Mesh API
// served (src/mesh/kube/calico.ts waits and checks).
import type { ClusterSpec } from '../../../src/config/spec-types.ts';
import type { Deps } from '../../../src/deps.ts';
import * as calico from '../../../src/mesh/kube/calico.ts';
import { kubeFor } from '../../../src/mesh/kube/names.ts';
import { type LeafStep, leaf } from '../../../src/steps/step.ts';

export function calicoReadyStep(deps: Deps, cluster: ClusterSpec): LeafStep {
  return leaf(
    `calico/${cluster.name}/ready`,
    `${cluster.name}: wait for nodes and Calico to be ready, check the Cluster Mesh API`,
    async (ctx) => calico.awaitReady(ctx, deps, await kubeFor(deps, cluster), cluster),
    async () => {
      const client = await kubeFor(deps, cluster);
      const [n, ts] = await Promise.all([calico.nodesReady(client), calico.tigeraStatus(client, 'calico')]);
      const want = cluster.nodeGroup.desiredSize;
      const state = n.ready >= want && ts.available ? 'exists' : 'missing';
      return { state, detail: `${n.ready}/${want} nodes Ready; ${ts.text}` };
    },
  );
}

// `/mesh up`, one cluster as a source: the identity its remote readers use, made while its Calico comes up
// (src/mesh/kube/federation.ts does the work), so the pairs into a destination need only write there.
import type { ClusterSpec } from '../../../src/config/spec-types.ts';
import type { Deps } from '../../../src/deps.ts';
import * as federation from '../../../src/mesh/kube/federation.ts';
import { CALICO_NS, FEDERATION_SA, kubeFor } from '../../../src/mesh/kube/names.ts';
import { type LeafStep, leaf } from '../../../src/steps/step.ts';

export function meshIdentityStep(deps: Deps, source: ClusterSpec): LeafStep {
  const sa = `${CALICO_NS}/${FEDERATION_SA}`;
  return leaf(
    `mesh/${source.name}/identity`,
    `${source.name}: federation identity for remote clusters (ServiceAccount ${sa}, read-only ClusterRole, token)`,
    async (ctx) => {
      const src = await kubeFor(deps, source);
      const before = await federation.findIdentity(src);
      await federation.ensureIdentity(ctx, deps, src, source);
      return {
        summary: `${source.name}: ServiceAccount ${sa} with its token, read-only ClusterRole`,
        changed: !(before.serviceAccount && before.token),
      };
    },
    async () => {
      const found = await federation.findIdentity(await kubeFor(deps, source));
      if (found.serviceAccount && found.token) return { state: 'exists', detail: `ServiceAccount ${sa} and its token` };
      if (!found.serviceAccount) return { state: 'missing', detail: `no ServiceAccount ${sa}` };
      return { state: 'partial', detail: `ServiceAccount ${sa} without its token` };
    },
  );
}

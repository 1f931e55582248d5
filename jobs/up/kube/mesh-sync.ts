// `/mesh up`, one destination: proof that federation works, calico-typha in sync with every source.
import type { ClusterSpec } from '../../../src/config/spec-types.ts';
import type { Deps } from '../../../src/deps.ts';
import * as federation from '../../../src/mesh/kube/federation.ts';
import { kubeFor, otherClusters } from '../../../src/mesh/kube/names.ts';
import { readTyphaSync } from '../../../src/mesh/kube/typha.ts';
import { type LeafStep, leaf } from '../../../src/steps/step.ts';

export function meshSyncStep(deps: Deps, dest: ClusterSpec): LeafStep {
  const sources = otherClusters(deps, dest).map((c) => c.name);
  return leaf(
    `mesh/${dest.name}/sync`,
    `${dest.name}: wait until calico-typha is in sync with ${sources.join(', ')}`,
    async (ctx) => federation.awaitSync(ctx, deps, await kubeFor(deps, dest), dest.name, sources),
    async () => {
      const s = await readTyphaSync(await kubeFor(deps, dest), sources);
      const missing = sources.filter((x) => !s.inSync.has(x));
      return missing.length
        ? { state: 'missing', detail: `not in sync with ${missing.join(', ')}` }
        : { state: 'exists', detail: `in sync with ${sources.join(', ')}` };
    },
  );
}

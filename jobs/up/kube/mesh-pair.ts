// `/mesh up`, one ordered pair: the destination reads the source (src/mesh/kube/federation.ts does the work).
import type { ClusterSpec } from '../../../src/config/spec-types.ts';
import type { Deps } from '../../../src/deps.ts';
import { endpointOfKubeConfig } from '../../../src/kube/access.ts';
import { KubeClient } from '../../../src/kube/client.ts';
import * as federation from '../../../src/mesh/kube/federation.ts';
import { kubeFor, remoteSecretName } from '../../../src/mesh/kube/names.ts';
import { type LeafStep, leaf } from '../../../src/steps/step.ts';

export function meshPairStep(deps: Deps, source: ClusterSpec, dest: ClusterSpec): LeafStep {
  const secretName = remoteSecretName(source.name);
  return leaf(
    `mesh/${source.name}-to-${dest.name}`,
    `${dest.name} reads ${source.name}: federation identity in ${source.name}, ` +
      `Secret ${secretName} and RemoteClusterConfiguration ${source.name} in ${dest.name}`,
    async (ctx) => {
      const [srcConfig, dst] = await Promise.all([deps.kube.forCluster(source), kubeFor(deps, dest)]);
      // The source's endpoint and CA as its access holds them: described just now, or answering seconds ago.
      const sourceEndpoint = async () => endpointOfKubeConfig(srcConfig);
      return federation.ensure(ctx, deps, { src: new KubeClient(srcConfig), dst, sourceEndpoint }, source, dest);
    },
    async () => {
      const { secret, rcc } = await federation.find(await kubeFor(deps, dest), source.name);
      if (secret && rcc) {
        return {
          state: 'exists',
          detail: `RemoteClusterConfiguration ${source.name} and Secret ${secretName} in ${dest.name}`,
        };
      }
      if (!secret && !rcc)
        return { state: 'missing', detail: `${dest.name} has no RemoteClusterConfiguration for ${source.name}` };
      const missing = rcc ? `Secret ${secretName} missing` : `RemoteClusterConfiguration ${source.name} missing`;
      return { state: 'partial', detail: `${dest.name}: ${missing}` };
    },
  );
}

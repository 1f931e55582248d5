// Federation for one ordered pair source -> destination: the source grants a read-only identity, the
// destination gets a kubeconfig for it and a RemoteClusterConfiguration named after the source.
import { stringify } from 'yaml';
import type { ClusterSpec } from '../../../src/config/spec-types.ts';
import type { Deps } from '../../../src/deps.ts';
import { describeEndpoint, type ClusterEndpoint } from '../../../src/kube/access.ts';
import type { KubeClient } from '../../../src/kube/client.ts';
import { renderManifestFile } from '../../../src/kube/template.ts';
import { leaf, type LeafStep, type StepContext } from '../../../src/steps/step.ts';
import { waitFor } from '../../../src/steps/wait.ts';
import { requireClusterMeshApi } from './calico-ready.ts';
import { CALICO_NS, kubeFor } from './common.ts';

export const FEDERATION_SA = 'tigera-federation-remote-cluster';
export const TOKEN_TIMEOUT_MS = 2 * 60_000;

export function remoteSecretName(source: string): string {
  return `${source}-secret`;
}

/**
 * The kubeconfig a destination's calico-typha uses to read the source. It holds a bearer token: callers put it
 * in a Secret and nowhere else (never in a log, an excerpt or an error).
 */
export function federationKubeconfig(source: string, ep: Pick<ClusterEndpoint, 'endpoint' | 'caData'>, token: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: source, cluster: { server: ep.endpoint, 'certificate-authority-data': ep.caData } }],
    users: [{ name: FEDERATION_SA, user: { token } }],
    contexts: [{ name: `${FEDERATION_SA}@${source}`, context: { cluster: source, user: FEDERATION_SA } }],
    'current-context': `${FEDERATION_SA}@${source}`,
  });
}

export function destinationObjects(deps: Deps, source: string, kubeconfig: string) {
  return renderManifestFile('federation-destination.yaml', {
    mesh: deps.spec.name,
    source,
    datastoreTypeB64: Buffer.from('kubernetes').toString('base64'),
    kubeconfigB64: Buffer.from(kubeconfig).toString('base64'),
  });
}

async function ensureSourceToken(ctx: StepContext, deps: Deps, src: KubeClient, source: ClusterSpec): Promise<string> {
  for (const o of renderManifestFile('federation-source.yaml', { mesh: deps.spec.name })) await src.apply(o);
  const token = await waitFor(ctx, {
    what: `${source.name}: token for ServiceAccount ${CALICO_NS}/${FEDERATION_SA}`,
    intervalMs: deps.pollIntervalMs,
    timeoutMs: TOKEN_TIMEOUT_MS,
    poll: async () => {
      const s = await src.get<{ data?: { token?: string } }>('v1', 'Secret', FEDERATION_SA, CALICO_NS);
      const t = s?.data?.token;
      return { done: !!t, status: s ? 'Secret exists, token not filled in yet' : 'Secret not found', value: t ? Buffer.from(t, 'base64').toString('utf8') : undefined };
    },
  });
  return token!;
}

export function meshPairStep(deps: Deps, source: ClusterSpec, dest: ClusterSpec): LeafStep {
  const secretName = remoteSecretName(source.name);
  return leaf(
    `mesh/${source.name}-to-${dest.name}`,
    `${dest.name} reads ${source.name}: federation identity in ${source.name}, Secret ${secretName} and RemoteClusterConfiguration ${source.name} in ${dest.name}`,
    async (ctx) => {
      const [src, dst] = await Promise.all([kubeFor(deps, source), kubeFor(deps, dest)]);
      await requireClusterMeshApi(dst, deps, dest);
      const token = await ensureSourceToken(ctx, deps, src, source);
      await ctx.checkpoint();
      const ep = await describeEndpoint(deps.aws, deps.spec, source);
      const objs = destinationObjects(deps, source.name, federationKubeconfig(source.name, ep, token));
      const before = await dst.get<{ data?: Record<string, string> }>('v1', 'Secret', secretName, CALICO_NS);
      const rccBefore = await dst.get('projectcalico.org/v3', 'RemoteClusterConfiguration', source.name);
      const wanted = objs.find((o) => o.kind === 'Secret')!.data as Record<string, string>;
      const unchanged = !!rccBefore && before?.data?.kubeconfig === wanted.kubeconfig;
      for (const o of objs) await dst.apply(o);
      return {
        summary: `${dest.name}: Secret ${CALICO_NS}/${secretName} (kubeconfig for ${ep.endpoint} as ${FEDERATION_SA}), RemoteClusterConfiguration ${source.name} (overlayRoutingMode Enabled), Role/RoleBinding remote-cluster-secret-access for calico-typha`,
        changed: !unchanged,
        resources: { secret: `${CALICO_NS}/${secretName}`, remoteClusterConfiguration: source.name },
      };
    },
    async () => {
      const dst = await kubeFor(deps, dest);
      const secret = await dst.get('v1', 'Secret', secretName, CALICO_NS);
      const rcc = await dst.get('projectcalico.org/v3', 'RemoteClusterConfiguration', source.name);
      if (secret && rcc) return { state: 'exists', detail: `RemoteClusterConfiguration ${source.name} and Secret ${secretName} in ${dest.name}` };
      if (!secret && !rcc) return { state: 'missing', detail: `${dest.name} has no RemoteClusterConfiguration for ${source.name}` };
      return { state: 'partial', detail: `${dest.name}: ${rcc ? `Secret ${secretName} missing` : `RemoteClusterConfiguration ${source.name} missing`}` };
    },
  );
}

// Proof that federation works: calico-typha in the destination says it is in sync with every source.
import type { ClusterSpec } from '../../../src/config/spec-types.ts';
import type { Deps } from '../../../src/deps.ts';
import { WaitTimeoutError } from '../../../src/errors.ts';
import type { KubeClient } from '../../../src/kube/client.ts';
import { readPodLog } from '../../../src/kube/logs.ts';
import { leaf, type LeafStep } from '../../../src/steps/step.ts';
import { waitFor } from '../../../src/steps/wait.ts';
import { CALICO_NS, inSyncLine, kubeFor, otherClusters } from './common.ts';

export const SYNC_TIMEOUT_MS = 5 * 60_000;
const TYPHA_SELECTOR = 'k8s-app=calico-typha';
const LOG_TAIL = 2000;

export interface TyphaSync {
  /** Source cluster -> the in-sync line seen (with the typha pod it came from), when seen. */
  inSync: Map<string, string>;
  /** Recent lines about remote clusters, for a timeout or a diagnosis. */
  relevant: string[];
  pods: string[];
}

/** What calico-typha's logs say about each remote cluster. A sync counts when the last line about it is in-sync. */
export async function readTyphaSync(client: KubeClient, sources: string[]): Promise<TyphaSync> {
  const pods = (await client.list<{ metadata: { name: string } }>('v1', 'Pod', { namespace: CALICO_NS, labelSelector: TYPHA_SELECTOR })).map((p) => p.metadata.name);
  const inSync = new Map<string, string>();
  const relevant: string[] = [];
  for (const pod of pods) {
    const lines = await readPodLog(client.kc, { namespace: CALICO_NS, pod, tailLines: LOG_TAIL });
    for (const src of sources) {
      const about = lines.filter((l) => l.includes(`RemoteClusterConfiguration(${src})`) || l.includes(`(${src})`));
      const last = about.at(-1);
      if (last?.includes(inSyncLine(src))) inSync.set(src, `${pod}: ${last}`);
    }
    relevant.push(...lines.filter((l) => /RemoteClusterConfiguration|remote cluster|RemoteCluster/i.test(l)).slice(-10).map((l) => `${pod}: ${l}`));
  }
  return { inSync, relevant: relevant.slice(-20), pods };
}

export function meshSyncStep(deps: Deps, dest: ClusterSpec): LeafStep {
  const sources = otherClusters(deps, dest).map((c) => c.name);
  return leaf(
    `mesh/${dest.name}/sync`,
    `${dest.name}: wait until calico-typha is in sync with ${sources.join(', ')}`,
    async (ctx) => {
      const client = await kubeFor(deps, dest);
      const what = `${dest.name}: calico-typha in sync with ${sources.join(', ')}`;
      let last: TyphaSync | undefined;
      try {
        await waitFor(ctx, {
          what,
          intervalMs: deps.pollIntervalMs,
          timeoutMs: SYNC_TIMEOUT_MS,
          poll: async () => {
            last = await readTyphaSync(client, sources);
            const missing = sources.filter((s) => !last!.inSync.has(s));
            const status = last.pods.length === 0 ? 'no calico-typha pod yet' : missing.length ? `not in sync yet: ${missing.join(', ')}` : 'in sync';
            return { done: last.pods.length > 0 && missing.length === 0, status };
          },
        });
      } catch (err) {
        if (err instanceof WaitTimeoutError && last) {
          const lines = last.relevant.length ? last.relevant.join('\n') : '(none)';
          throw new WaitTimeoutError(what, SYNC_TIMEOUT_MS, `${err.lastSeen}; calico-typha's last lines about remote clusters:\n${lines}`);
        }
        throw err;
      }
      return {
        summary: `${dest.name}: calico-typha in sync with ${sources.join(', ')}`,
        changed: false,
        excerpt: [...last!.inSync.values()].join('\n'),
      };
    },
    async () => {
      const client = await kubeFor(deps, dest);
      const s = await readTyphaSync(client, sources);
      const missing = sources.filter((x) => !s.inSync.has(x));
      return missing.length ? { state: 'missing', detail: `not in sync with ${missing.join(', ')}` } : { state: 'exists', detail: `in sync with ${sources.join(', ')}` };
    },
  );
}

// What calico-typha says about each remote cluster it reads: the proof that federation works.
import type { KubeApi } from '../../kube/client.ts';
import { CALICO_NS, inSyncLine } from './names.ts';

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
export async function readTyphaSync(client: KubeApi, sources: string[]): Promise<TyphaSync> {
  const listed = await client.list<{ metadata: { name: string } }>('v1', 'Pod', {
    namespace: CALICO_NS,
    labelSelector: TYPHA_SELECTOR,
  });
  const pods = listed.map((p) => p.metadata.name);
  const inSync = new Map<string, string>();
  const relevant: string[] = [];
  for (const pod of pods) {
    const lines = await client.podLog({ namespace: CALICO_NS, pod, tailLines: LOG_TAIL });
    for (const src of sources) {
      const about = lines.filter((l) => l.includes(`RemoteClusterConfiguration(${src})`) || l.includes(`(${src})`));
      const last = about.at(-1);
      if (last?.includes(inSyncLine(src))) inSync.set(src, `${pod}: ${last}`);
    }
    const remote = lines.filter((l) => /RemoteClusterConfiguration|remote cluster|RemoteCluster/i.test(l));
    relevant.push(...remote.slice(-10).map((l) => `${pod}: ${l}`));
  }
  return { inSync, relevant: relevant.slice(-20), pods };
}

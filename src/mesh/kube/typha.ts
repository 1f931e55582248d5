// Whether a cluster's calico-typha is in sync with each remote cluster, as Tigera documents the check: Typha's
// remote_cluster_connection_status{remote_cluster_name} metric (2 = InSync), read from every Ready replica through
// the API server's pod proxy (each Felix uses one replica, so one broken replica breaks some nodes). The log line
// "Sending in-sync update for RemoteClusterConfiguration(<source>)" is kept as the human excerpt only: a rotated
// log loses it while the mesh is healthy.

import { errorMessage } from '../../errors.ts';
import { conditionOf, type KubeApi } from '../../kube/client.ts';
import { CALICO_NS, inSyncLine } from './names.ts';

const TYPHA_SELECTOR = 'k8s-app=calico-typha';
const LOG_TAIL = 2000;
/** Installation.spec.typhaMetricsPort: Calico's usual Typha metrics port. */
export const TYPHA_METRICS_PORT = 9093;
const IN_SYNC = 2;
const STATUS_NAMES = [
  'NotConnecting',
  'Connecting',
  'InSync',
  'ReSyncInProgress',
  'ConfigChangeRestartRequired',
  'ConfigInComplete',
];

export interface TyphaSync {
  /** Source cluster -> the evidence, when every Ready replica reports InSync (the log line too, when still there). */
  inSync: Map<string, string>;
  /** Source cluster -> why not: which replica reports what, or could not be read. */
  notInSync: Map<string, string>;
  /**
   * Source cluster -> remote_cluster_connection_status as the replicas report it: 2 when every one says InSync,
   * else the first other value a replica reports; absent when no replica reports one.
   */
  states: Map<string, number>;
  /** Recent log lines about remote clusters, for a timeout or a diagnosis. */
  relevant: string[];
  /** The Ready typha replicas that were asked. */
  pods: string[];
}

interface Replica {
  pod: string;
  status?: Map<string, number>;
  error?: string;
  lines: string[];
}

/** remote_cluster_connection_status{remote_cluster_name="x"} 2 -> x: 2, from Prometheus text. */
export function parseConnectionStatus(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const re = /^remote_cluster_connection_status\{([^}]*)\}\s+([0-9.eE+-]+)/gm;
  for (const m of text.matchAll(re)) {
    const name = /remote_cluster_name="([^"]*)"/.exec(m[1])?.[1];
    if (name !== undefined) out.set(name, Number(m[2]));
  }
  return out;
}

function statusName(v: number): string {
  return `${v} (${STATUS_NAMES[v] ?? 'unknown'})`;
}

async function readReplica(client: KubeApi, pod: string): Promise<Replica> {
  const [metrics, lines] = await Promise.all([
    client.podProxyGet(CALICO_NS, pod, TYPHA_METRICS_PORT, 'metrics').then(
      (text) => ({ status: parseConnectionStatus(text) }),
      (err: unknown) => ({ error: errorMessage(err) }),
    ),
    client.podLog({ namespace: CALICO_NS, pod, tailLines: LOG_TAIL }).catch(() => [] as string[]),
  ]);
  return { pod, ...metrics, lines };
}

function verdict(replicas: Replica[], source: string): { ok: true; evidence: string } | { ok: false; why: string } {
  if (replicas.length === 0) return { ok: false, why: 'no Ready calico-typha pod' };
  const off: string[] = [];
  for (const r of replicas) {
    if (r.error)
      off.push(`${r.pod}: metrics not readable on port ${TYPHA_METRICS_PORT} (${r.error}); is typhaMetricsPort set?`);
    else if (!r.status!.has(source)) off.push(`${r.pod} reports no remote_cluster_connection_status for ${source}`);
    else if (r.status!.get(source) !== IN_SYNC) off.push(`${r.pod} reports ${statusName(r.status!.get(source)!)}`);
  }
  if (off.length) return { ok: false, why: off.join('; ') };
  const pods = replicas.map((r) => r.pod).join(', ');
  const logged = replicas
    .map((r) => ({ pod: r.pod, last: r.lines.filter((l) => l.includes(`(${source})`)).at(-1) }))
    .filter((x) => x.last?.includes(inSyncLine(source)))
    .map((x) => `${x.pod}: ${x.last}`);
  return {
    ok: true,
    evidence: [`${pods}: remote_cluster_connection_status ${statusName(IN_SYNC)}`, ...logged].join('\n'),
  };
}

export async function readTyphaSync(client: KubeApi, sources: string[]): Promise<TyphaSync> {
  type PodLite = { metadata: { name: string }; status?: { conditions?: Array<{ type: string; status: string }> } };
  const listed = await client.list<PodLite>('v1', 'Pod', { namespace: CALICO_NS, labelSelector: TYPHA_SELECTOR });
  const ready = listed.filter((p) => conditionOf(p, 'Ready')?.status === 'True').map((p) => p.metadata.name);
  const replicas = await Promise.all(ready.map((pod) => readReplica(client, pod)));
  const inSync = new Map<string, string>();
  const notInSync = new Map<string, string>();
  const states = new Map<string, number>();
  for (const src of sources) {
    const reported = replicas.map((r) => r.status?.get(src)).filter((v): v is number => v !== undefined);
    const state = reported.find((v) => v !== IN_SYNC) ?? reported[0];
    if (state !== undefined) states.set(src, state);
    const v = verdict(replicas, src);
    if (v.ok) inSync.set(src, v.evidence);
    else notInSync.set(src, v.why);
  }
  const relevant = replicas.flatMap((r) =>
    r.lines
      .filter((l) => /RemoteClusterConfiguration|remote cluster|RemoteCluster/i.test(l))
      .slice(-10)
      .map((l) => `${r.pod}: ${l}`),
  );
  return { inSync, notInSync, states, relevant: relevant.slice(-20), pods: ready };
}

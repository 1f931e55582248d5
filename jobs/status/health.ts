// One status pass as numbers (MeshHealth) for the gauges and the topology picture: read from the pass's own
// lines (so that status, metrics and picture never disagree), the pings too: each ordered pair's `ping to` line
// carries its loss and RTT, so a pass pings each pair once.
import type { Deps } from '../../src/deps.ts';
import type {
  ClusterHealth,
  MeshHealth,
  PathHealth,
  PeeringHealth,
  SyncHealth,
  SyncState,
} from '../../src/metrics/mesh-health.ts';
import type { ClusterStatus, StatusLine } from './types.ts';

const find = (lines: StatusLine[], subject: string) => lines.find((l) => l.subject === subject);

function clusterHealth(deps: Deps, c: ClusterStatus): ClusterHealth {
  const spec = deps.spec.clusters.find((s) => s.name === c.cluster)!;
  const down = c.kube.find((l) => l.subject === 'Kubernetes API' || l.subject === 'Kubernetes');
  const nodes = /^(\d+)\/\d+ Ready/.exec(find(c.kube, 'nodes')?.detail ?? '');
  const calico = c.kube
    .filter((l) => l.subject.startsWith('TigeraStatus '))
    .map((l) => ({ component: l.subject.slice('TigeraStatus '.length), available: l.health === 'ok', text: l.detail }));
  const out: ClusterHealth = {
    name: c.cluster,
    region: c.region,
    reachable: !down,
    nodesDesired: spec.nodeGroup.desiredSize,
    calico,
  };
  if (down) out.reason = down.detail;
  if (nodes) out.nodesReady = Number(nodes[1]);
  return out;
}

const isSyncState = (v: number | undefined): v is SyncState =>
  v !== undefined && Number.isInteger(v) && v >= 0 && v <= 5;

/**
 * The destination's view of a source in Tigera's numbering: calico-typha's remote_cluster_connection_status as
 * the pass read it; only when no replica reported one is it inferred from the line (0 when nothing is there).
 */
function syncOf(dest: ClusterStatus, source: string): SyncHealth {
  const base = { source, destination: dest.cluster };
  const line = find(dest.kube, `RemoteClusterConfiguration ${source}`);
  const down = dest.kube.find((l) => l.subject === 'Kubernetes API' || l.subject === 'Kubernetes');
  let state: SyncState;
  let reason: string;
  if (!line) [state, reason] = [0, down ? `${dest.cluster}: ${down.detail}` : 'not configured'];
  else if (isSyncState(line.value)) [state, reason] = [line.value, line.detail];
  else if (line.health === 'ok') [state, reason] = [2, line.detail];
  else if (line.health === 'absent') [state, reason] = [0, line.detail];
  else if (/Secret .* is missing/.test(line.detail)) [state, reason] = [5, line.detail];
  else [state, reason] = [1, line.detail];
  return { ...base, state, reason };
}

function peerings(clusters: ClusterStatus[]): PeeringHealth[] {
  const out: PeeringHealth[] = [];
  for (let i = 0; i < clusters.length; i++) {
    for (let j = i + 1; j < clusters.length; j++) {
      const [a, b] = [clusters[i].cluster, clusters[j].cluster];
      const line = find(clusters[i].aws, `peering ${a} <-> ${b}`) ?? find(clusters[j].aws, `peering ${b} <-> ${a}`);
      const state =
        line?.health === 'absent' || !line ? 'absent' : (/ is (\S+)$/.exec(line.detail)?.[1] ?? line.health);
      out.push({ a, b, state, ok: line?.health === 'ok', detail: line?.detail ?? 'not observed' });
    }
  }
  return out;
}

/** Each ordered pair's ping as the pass's own lines carry it: the pass pinged each pair once, for both. */
const paths = (clusters: ClusterStatus[]): PathHealth[] =>
  clusters.flatMap((c) => c.kube.flatMap((l) => (l.path ? [l.path] : [])));

/** The pass as numbers. */
export function meshHealthOf(deps: Deps, clusters: ClusterStatus[], hourlyCost?: number): MeshHealth {
  const syncs = clusters.flatMap((dest) => clusters.filter((s) => s !== dest).map((s) => syncOf(dest, s.cluster)));
  const h: MeshHealth = {
    mesh: deps.spec.name,
    at: deps.clock.now(),
    clusters: clusters.map((c) => clusterHealth(deps, c)),
    peerings: peerings(clusters),
    syncs,
    paths: paths(clusters),
  };
  if (hourlyCost !== undefined) h.hourlyCost = hourlyCost;
  return h;
}

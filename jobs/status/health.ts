// One status pass as numbers (MeshHealth) for the gauges and the topology picture: read from the pass's own
// lines (so that status, metrics and picture never disagree), plus one ping per ordered pair of clusters
// through the probe jobs/index.ts hands in (ping's own, so that both ping the same way).
import type { Deps } from '../../src/deps.ts';
import type {
  ClusterHealth,
  MeshHealth,
  PathHealth,
  PathProbe,
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

const netshootReady = (c: ClusterStatus) => find(c.kube, 'pod netshoot')?.health === 'ok';

/** Pings each ordered pair whose source has a ready netshoot pod (in parallel; each ping takes about 3 s). */
async function paths(deps: Deps, clusters: ClusterStatus[], probe: PathProbe): Promise<PathHealth[]> {
  const probes: Array<Promise<PathHealth>> = [];
  for (const from of clusters) {
    if (!netshootReady(from)) continue;
    const spec = deps.spec.clusters.find((s) => s.name === from.cluster)!;
    for (const to of clusters) {
      if (to === from) continue;
      probes.push(
        probe(spec, to.cluster).then((r) => {
          const out: PathHealth = { from: from.cluster, to: to.cluster, packetLoss: r.lossPercent / 100 };
          if (r.rttMs) out.rttSeconds = r.rttMs.avg / 1000;
          if (!r.ok) out.failure = r.message ?? r.failure ?? 'no reply';
          return out;
        }),
      );
    }
  }
  return Promise.all(probes);
}

/** The pass as numbers; without a probe (tests of the status text alone) no path is pinged. */
export async function meshHealthOf(
  deps: Deps,
  clusters: ClusterStatus[],
  hourlyCost?: number,
  probe?: PathProbe,
): Promise<MeshHealth> {
  const syncs = clusters.flatMap((dest) => clusters.filter((s) => s !== dest).map((s) => syncOf(dest, s.cluster)));
  const h: MeshHealth = {
    mesh: deps.spec.name,
    at: deps.clock.now(),
    clusters: clusters.map((c) => clusterHealth(deps, c)),
    peerings: peerings(clusters),
    syncs,
    paths: probe ? await paths(deps, clusters, probe) : [],
  };
  if (hourlyCost !== undefined) h.hourlyCost = hourlyCost;
  return h;
}

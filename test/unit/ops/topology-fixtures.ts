// Known mesh states for the topology picture's tests (and docs/topology-*.png).
import type { MeshHealth, SyncState } from '../../../src/metrics/mesh-health.ts';

const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-1'];
const NAMES = ['iad', 'pdx', 'dub', 'sin'];
const AT = Date.UTC(2026, 11, 1, 22, 30);

export function healthy(n: number): MeshHealth {
  const names = NAMES.slice(0, n);
  const clusters = names.map((name, i) => ({
    name,
    region: REGIONS[i],
    reachable: true,
    nodesReady: 3,
    nodesDesired: 3,
    calico: [
      { component: 'calico', available: true, text: 'Available' },
      { component: 'apiserver', available: true, text: 'Available' },
    ],
  }));
  const peerings = names.flatMap((a, i) =>
    names.slice(i + 1).map((b, k) => ({ a, b, state: 'active', ok: true, detail: `pcx-0${i}${k} is active` })),
  );
  const syncs = names.flatMap((destination) =>
    names
      .filter((s) => s !== destination)
      .map((source) => ({ source, destination, state: 2 as SyncState, reason: 'in sync (calico-typha)' })),
  );
  const paths = names.flatMap((from, i) =>
    names.filter((t) => t !== from).map((to, k) => ({ from, to, rttSeconds: 0.064 + 0.01 * (i + k), packetLoss: 0 })),
  );
  return { mesh: 'demo', at: AT, clusters, peerings, syncs, paths, hourlyCost: 0.62 * n };
}

/** Two clusters; pdx lost its remote-cluster Secret for iad, a route is gone (pings fail), one node NotReady. */
export function broken(): MeshHealth {
  const h = healthy(2);
  h.clusters[1].nodesReady = 2;
  h.syncs = h.syncs.map((s) =>
    s.destination === 'pdx' ? { ...s, state: 5 as SyncState, reason: 'Secret calico-system/iad-secret is missing' } : s,
  );
  h.paths = h.paths.map((p) =>
    p.from === 'iad' ? { from: p.from, to: p.to, packetLoss: 1, failure: '3 packets transmitted, 0 received' } : p,
  );
  return h;
}

/** Four clusters: sin unreachable, the dub-sin peering pending, dub reading sin still connecting. */
export function fourMixed(): MeshHealth {
  const h = healthy(4);
  h.clusters[3] = {
    ...h.clusters[3],
    reachable: false,
    reason: 'unreachable: connect ETIMEDOUT 10.3.0.10:443',
    calico: [],
  };
  delete h.clusters[3].nodesReady;
  h.peerings = h.peerings.map((p) =>
    p.a === 'dub' && p.b === 'sin'
      ? { ...p, state: 'pending-acceptance', ok: false, detail: 'pcx-0230 is pending-acceptance' }
      : p,
  );
  h.syncs = h.syncs.map((s) => {
    if (s.destination === 'sin') return { ...s, state: 0 as SyncState, reason: 'sin: unreachable: connect ETIMEDOUT' };
    if (s.destination === 'dub' && s.source === 'sin')
      return { ...s, state: 1 as SyncState, reason: 'not in sync per calico-typha' };
    return s;
  });
  h.paths = h.paths.filter((p) => p.from !== 'sin' && p.to !== 'sin');
  return h;
}

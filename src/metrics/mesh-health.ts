// The mesh's health as numbers, from one status pass: what the gauges export and the topology picture draws.
// Plain data (it may travel through JSON).
import type { ClusterSpec } from '../config/spec-types.ts';
import {
  awsCalls,
  kubeCalls,
  meshHealthTimestamp,
  meshHourlyCost,
  meshNodesDesired,
  meshNodesReady,
  meshPacketLoss,
  meshRtt,
  meshSyncState,
  meshTigeraAvailable,
} from './registry.ts';

/** Tigera's numbering of remote_cluster_connection_status (calico-typha's metric). */
export const SYNC_STATES = [
  'NotConnecting',
  'Connecting',
  'InSync',
  'ReSyncInProgress',
  'ConfigChangeRestartRequired',
  'ConfigInComplete',
] as const;
export type SyncState = 0 | 1 | 2 | 3 | 4 | 5;

export interface ClusterHealth {
  name: string;
  region: string;
  /** The cluster's API answered; when false, `reason` says why. */
  reachable: boolean;
  reason?: string;
  nodesReady?: number;
  nodesDesired: number;
  /** TigeraStatus per component (calico, apiserver). */
  calico: Array<{ component: string; available: boolean; text: string }>;
}

export interface PeeringHealth {
  /** The two clusters, in spec order. */
  a: string;
  b: string;
  /** The peering's state as EC2 says it (active, pending-acceptance...), or "absent". */
  state: string;
  ok: boolean;
  detail: string;
}

/** Federation of one ordered pair: `destination` reads `source` (a RemoteClusterConfiguration in destination). */
export interface SyncHealth {
  source: string;
  destination: string;
  state: SyncState;
  reason: string;
}

/** One ping from `from`'s netshoot pod to `to`'s first pod. */
export interface PathHealth {
  from: string;
  to: string;
  rttSeconds?: number;
  /** 0 to 1. */
  packetLoss: number;
  failure?: string;
}

export interface MeshHealth {
  mesh: string;
  /** When the pass ended (ms since the epoch). */
  at: number;
  clusters: ClusterHealth[];
  peerings: PeeringHealth[];
  syncs: SyncHealth[];
  paths: PathHealth[];
  hourlyCost?: number;
}

/** Sets the mesh gauges to this pass; what the pass did not see (an unreachable cluster's nodes) is dropped. */
export function recordMeshHealth(h: MeshHealth): void {
  for (const g of [meshNodesReady, meshNodesDesired, meshTigeraAvailable, meshSyncState, meshRtt, meshPacketLoss]) {
    g.reset();
  }
  const mesh = h.mesh;
  for (const c of h.clusters) {
    meshNodesDesired.set({ mesh, cluster: c.name, region: c.region }, c.nodesDesired);
    if (c.nodesReady !== undefined) meshNodesReady.set({ mesh, cluster: c.name, region: c.region }, c.nodesReady);
    for (const t of c.calico)
      meshTigeraAvailable.set({ mesh, cluster: c.name, component: t.component }, t.available ? 1 : 0);
  }
  for (const s of h.syncs) meshSyncState.set({ mesh, source: s.source, destination: s.destination }, s.state);
  for (const p of h.paths) {
    meshPacketLoss.set({ mesh, from: p.from, to: p.to }, p.packetLoss);
    if (p.rttSeconds !== undefined) meshRtt.set({ mesh, from: p.from, to: p.to }, p.rttSeconds);
  }
  if (h.hourlyCost !== undefined) meshHourlyCost.set({ mesh }, h.hourlyCost);
  meshHealthTimestamp.set({ mesh }, Math.round(h.at / 1000));
}

/** Up's verification, per mesh, until the up job hands it to the watch as its RTT baselines. */
const verified = new Map<string, PathHealth[]>();

/** Up's verification pinged every pair: its RTT and loss are the gauges' values until the next pass. */
export function recordVerifiedPaths(mesh: string, paths: PathHealth[]): void {
  verified.set(mesh, paths);
  for (const p of paths) {
    meshPacketLoss.set({ mesh, from: p.from, to: p.to }, p.packetLoss);
    if (p.rttSeconds !== undefined) meshRtt.set({ mesh, from: p.from, to: p.to }, p.rttSeconds);
  }
}

/** What the last verification in this process measured, once (the up job that ran it takes it). */
export function takeVerifiedPaths(mesh: string): PathHealth[] | undefined {
  const paths = verified.get(mesh);
  verified.delete(mesh);
  return paths;
}

/** AWS and Kubernetes calls this process has made so far (for the calls a watch pass costs). */
export async function callTotals(): Promise<{ aws: number; kube: number }> {
  const sum = async (c: typeof awsCalls | typeof kubeCalls) => (await c.get()).values.reduce((n, v) => n + v.value, 0);
  return { aws: await sum(awsCalls), kube: await sum(kubeCalls) };
}

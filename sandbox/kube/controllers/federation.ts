// Calico Enterprise cluster mesh, Typha's side: one sync per RemoteClusterConfiguration. It connects only when
// the access Secret exists with the right keys, calico-typha may read it (RBAC), and the kubeconfig inside
// really lists what Typha syncs from the remote API server with the token's own rights. Then, after
// profile.federationSyncMs, Typha logs the in-sync line; it keeps polling so remote changes are seen.
import type { KubeObject } from '../store.ts';
import { calicoLine } from './log-format.ts';
import { isPodRunning } from './pod-status.ts';
import { accessFromKubeconfig, RemoteError, remoteAgent, remoteList } from './remote-client.ts';
import type { ControllerContext, Reconciler } from './runtime.ts';
import { hasLicense, isEnterprise } from './tigera-operator.ts';
import { unb64 } from './util.ts';

export const typhaUser = {
  username: 'system:serviceaccount:calico-system:calico-typha',
  groups: ['system:serviceaccounts', 'system:serviceaccounts:calico-system', 'system:authenticated'],
};

/** What Typha lists in the remote cluster (Kubernetes datastore); each must be allowed to the token. */
export const syncedLists: Array<{ what: string; path: string }> = [
  { what: 'namespaces', path: '/api/v1/namespaces' },
  { what: 'serviceaccounts', path: '/api/v1/serviceaccounts' },
  { what: 'services', path: '/api/v1/services' },
  { what: 'endpoints', path: '/api/v1/endpoints' },
  { what: 'pods', path: '/api/v1/pods' },
  { what: 'nodes', path: '/api/v1/nodes' },
];

export interface RemoteSnapshot {
  services: KubeObject[];
  endpoints: KubeObject[];
  pods: KubeObject[];
  nodes: KubeObject[];
}

export type SyncState =
  | { state: 'NotConnecting' | 'Connecting'; reason: string }
  | { state: 'InSync'; reason: ''; snapshot: RemoteSnapshot };

function rccSpec(rcc: KubeObject) {
  return (rcc.spec ?? {}) as {
    clusterAccessSecret?: { name?: string; namespace?: string; kind?: string };
    syncOptions?: { overlayRoutingMode?: string };
    datastoreType?: string;
  };
}

export function listRemoteClusterConfigs(ctx: ControllerContext): KubeObject[] {
  const byName = new Map<string, KubeObject>();
  for (const group of ['crd.projectcalico.org', 'projectcalico.org']) {
    for (const rcc of ctx.store.list(group, 'RemoteClusterConfiguration')) byName.set(rcc.metadata.name, rcc);
  }
  return [...byName.values()];
}

class RemoteSync {
  readonly name: string;
  status: SyncState = { state: 'Connecting', reason: 'starting' };
  private okSince = 0;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private lastLogged = '';
  private lastLoggedAt = 0;
  private stopped = false;
  private lastSnapshotKey = '';
  private agent = remoteAgent();
  private agentKey = '';
  /** The remote API server the kubeconfig names, and whether the RCC asks for overlay (VXLAN) routes. */
  server = '';
  overlayRouting = false;
  private readonly ctx: ControllerContext;
  /** Polls finished: what a test waits on to know Typha looked again, instead of sleeping. */
  polls = 0;

  constructor(ctx: ControllerContext, name: string) {
    this.ctx = ctx;
    this.name = name;
    this.typhaLog(
      calicoLine(
        'remotecluster/remote_cluster.go 171',
        `Starting remote cluster sync for RemoteClusterConfiguration(${name})`,
      ),
    );
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.agent.destroy();
    this.typhaLog(
      calicoLine(
        'remotecluster/remote_cluster.go 214',
        `Stopping remote cluster sync for RemoteClusterConfiguration(${this.name})`,
      ),
    );
  }

  private pollMs(): number {
    // About every second in real time; scaled down with the profile so tests stay quick.
    return Math.max(20, Math.min(1_000, this.ctx.env.profile.federationSyncMs));
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.poll(), ms);
  }

  private typhaLog(line: string): void {
    for (const pod of this.ctx.store.list('', 'Pod', 'calico-system')) {
      if (pod.metadata.labels?.['k8s-app'] !== 'calico-typha' || !isPodRunning(pod)) continue;
      // A replica put out of sync never reaches the in-sync state, so it never says so.
      if (replicaOutOfSync(pod) && line.includes('in-sync')) continue;
      this.ctx.handle.logs.append('calico-system', pod.metadata.name, line);
    }
  }

  private async poll(): Promise<void> {
    if (this.stopped || this.busy) return;
    this.busy = true;
    // While connected and not yet in sync, the next look is when the sync is due, not a whole poll later: the
    // stand-in's in-sync comes federationSyncMs after the connection, as the profile says, plus one check.
    let nextMs = this.pollMs();
    try {
      const began = this.ctx.now();
      const result = await this.check();
      if (this.stopped) return;
      const now = this.ctx.now();
      if ('snapshot' in result) {
        if (this.status.state !== 'InSync') {
          if (!this.okSince) {
            // Typha's sync began when it began to connect.
            this.okSince = began;
            this.typhaLog(
              calicoLine(
                'remotecluster/remote_cluster.go 301',
                `Connected to remote cluster, syncing RemoteClusterConfiguration(${this.name})`,
              ),
            );
          }
          if (now >= this.okSince + this.ctx.env.profile.federationSyncMs) {
            this.status = { state: 'InSync', reason: '', snapshot: result.snapshot };
            this.lastSnapshotKey = snapshotKey(result.snapshot);
            this.lastLogged = '';
            this.typhaLog(
              calicoLine('typha/daemon.go 446', `Sending in-sync update for RemoteClusterConfiguration(${this.name})`),
            );
            this.ctx.kick();
          } else {
            nextMs = Math.min(nextMs, this.okSince + this.ctx.env.profile.federationSyncMs - now);
          }
        } else {
          const key = snapshotKey(result.snapshot);
          this.status = { state: 'InSync', reason: '', snapshot: result.snapshot };
          if (key !== this.lastSnapshotKey) {
            this.lastSnapshotKey = key;
            this.ctx.kick();
          }
        }
      } else {
        const wasInSync = this.status.state === 'InSync';
        this.okSince = 0;
        this.status = { state: result.connecting ? 'Connecting' : 'NotConnecting', reason: result.reason };
        if (wasInSync) this.ctx.kick();
        // Say why on every change, and again every few seconds while it stays broken (like Typha's retries).
        if (result.reason !== this.lastLogged || now - this.lastLoggedAt > 5_000) {
          this.lastLogged = result.reason;
          this.lastLoggedAt = now;
          this.typhaLog(
            calicoLine(
              'remotecluster/remote_cluster.go 250',
              `Failed to sync RemoteClusterConfiguration(${this.name}), will retry: ${result.reason}`,
              { level: 'ERROR' },
            ),
          );
        }
      }
    } catch (err) {
      console.error(`[sandbox ${this.ctx.handle.placement.name}] federation ${this.name}:`, err);
    } finally {
      this.busy = false;
      this.polls++;
      this.schedule(Math.max(0, nextMs));
    }
  }

  private async check(): Promise<{ snapshot: RemoteSnapshot } | { reason: string; connecting: boolean }> {
    const rcc = listRemoteClusterConfigs(this.ctx).find((r) => r.metadata.name === this.name);
    if (!rcc) return { reason: 'RemoteClusterConfiguration deleted', connecting: false };
    // Unset, the Calico API server defaults it from the local encapsulation: Enabled with VXLAN.
    const mode = rccSpec(rcc).syncOptions?.overlayRoutingMode;
    this.overlayRouting = mode === 'Enabled' || (mode === undefined && localVxlan(this.ctx));
    const ref = rccSpec(rcc).clusterAccessSecret;
    if (!ref?.name) return { reason: 'config incomplete: spec.clusterAccessSecret is not set', connecting: false };
    if (ref.kind && ref.kind !== 'Secret')
      return {
        reason: `config incomplete: clusterAccessSecret kind "${ref.kind}" is not supported (use Secret)`,
        connecting: false,
      };
    const ns = ref.namespace ?? 'default';
    const allowed = this.ctx.handle.authorize(typhaUser, {
      verb: 'get',
      group: '',
      resource: 'secrets',
      namespace: ns,
      name: ref.name,
    });
    if (!allowed) {
      return {
        reason: `secrets "${ref.name}" is forbidden: User "${typhaUser.username}" cannot get resource "secrets" in API group "" in the namespace "${ns}"`,
        connecting: false,
      };
    }
    const secret = this.ctx.store.get('', 'Secret', ns, ref.name);
    if (!secret) return { reason: `secrets "${ref.name}" not found in namespace "${ns}"`, connecting: false };
    const data = (secret.data ?? {}) as Record<string, string>;
    const datastoreType = unb64(data.datastoreType);
    if (datastoreType === undefined)
      return { reason: `config incomplete: secret ${ns}/${ref.name} has no key "datastoreType"`, connecting: false };
    if (datastoreType.trim() !== 'kubernetes') {
      return {
        reason: `config incomplete: secret ${ns}/${ref.name} has datastoreType "${datastoreType.trim()}", expected "kubernetes"`,
        connecting: false,
      };
    }
    const kubeconfig = unb64(data.kubeconfig);
    if (!kubeconfig)
      return { reason: `config incomplete: secret ${ns}/${ref.name} has no key "kubeconfig"`, connecting: false };
    let access: ReturnType<typeof accessFromKubeconfig>;
    try {
      access = accessFromKubeconfig(kubeconfig);
    } catch (err) {
      return { reason: (err as Error).message, connecting: false };
    }
    this.server = access.server;
    // A changed kubeconfig means new connections (new CA, new server), as a restarted syncer would make.
    const key = JSON.stringify(access);
    if (key !== this.agentKey) {
      this.agent.destroy();
      this.agent = remoteAgent();
      this.agentKey = key;
    }
    const lists: Record<string, KubeObject[]> = {};
    for (const { what, path } of syncedLists) {
      try {
        lists[what] = (await remoteList(access, path, this.agent)).items as unknown as KubeObject[];
      } catch (err) {
        if (err instanceof RemoteError) return { reason: `failed to list ${what}: ${err.message}`, connecting: true };
        throw err;
      }
    }
    return { snapshot: { services: lists.services, endpoints: lists.endpoints, pods: lists.pods, nodes: lists.nodes } };
  }
}

function localVxlan(ctx: ControllerContext): boolean {
  const inst = ctx.store.get('operator.tigera.io', 'Installation', undefined, 'default');
  const enc = (inst?.spec as { calicoNetwork?: { ipPools?: Array<{ encapsulation?: string }> } } | undefined)
    ?.calicoNetwork?.ipPools?.[0]?.encapsulation;
  return enc === 'VXLAN' || enc === 'VXLANCrossSubnet';
}

function snapshotKey(s: RemoteSnapshot): string {
  const slim = (o: KubeObject) => [o.metadata.namespace, o.metadata.name, o.metadata.resourceVersion];
  return JSON.stringify([s.services.map(slim), s.endpoints.map(slim), s.pods.map(slim)]);
}

/** Federation state per local cluster (by API endpoint), for the network model: which remotes Felix has routes to. */
const byEndpoint = new Map<string, FederationController>();

export interface RemoteRouteInfo {
  name: string;
  server: string;
  state: SyncState['state'];
  overlayRouting: boolean;
  reason: string;
}

/**
 * The sandbox's switch for one typha replica that cannot keep its remote syncs (its connection to the remote API
 * server breaks while the other replica's holds): annotate the pod. Its metrics then say Connecting.
 */
export const OUT_OF_SYNC_ANNOTATION = 'sandbox.meshops.io/remote-sync';

export function replicaOutOfSync(pod: KubeObject): boolean {
  return pod.metadata.annotations?.[OUT_OF_SYNC_ANNOTATION] === 'broken';
}

/** Typha's remote_cluster_connection_status values (tigera/docs, federation overview). */
const CONNECTION_STATUS: Record<SyncState['state'], number> = { NotConnecting: 0, Connecting: 1, InSync: 2 };

/** Per remote cluster, the value one typha replica reports for remote_cluster_connection_status. */
export function replicaConnectionStatus(endpoint: string, pod: KubeObject): Array<{ name: string; value: number }> {
  const fc = byEndpoint.get(endpoint);
  if (!fc) return [];
  return [...fc.syncs.values()].map((s) => ({
    name: s.name,
    value: replicaOutOfSync(pod) ? CONNECTION_STATUS.Connecting : CONNECTION_STATUS[s.status.state],
  }));
}

/** How many times the Typha of the cluster at `endpoint` has polled its remote `name` (0 when it has no such sync). */
export function remoteSyncPolls(endpoint: string, name: string): number {
  return byEndpoint.get(endpoint)?.syncs.get(name)?.polls ?? 0;
}

export function remoteClustersOf(endpoint: string): RemoteRouteInfo[] {
  const fc = byEndpoint.get(endpoint);
  if (!fc) return [];
  return [...fc.syncs.values()].map((s) => ({
    name: s.name,
    server: s.server,
    state: s.status.state,
    overlayRouting: s.overlayRouting,
    reason: s.status.reason,
  }));
}

export class FederationController implements Reconciler {
  readonly name = 'federation';
  readonly syncs = new Map<string, RemoteSync>();

  constructor(ctx: ControllerContext) {
    byEndpoint.set(ctx.handle.endpoint, this);
    ctx.onStop(() => {
      if (byEndpoint.get(ctx.handle.endpoint) === this) byEndpoint.delete(ctx.handle.endpoint);
      for (const s of this.syncs.values()) s.stop();
      this.syncs.clear();
    });
  }

  reconcile(ctx: ControllerContext): void {
    const inst = ctx.store.get('operator.tigera.io', 'Installation', undefined, 'default');
    const typhaUp = ctx.store
      .list('', 'Pod', 'calico-system')
      .some((p) => p.metadata.labels?.['k8s-app'] === 'calico-typha' && isPodRunning(p));
    // Only Calico Enterprise's Typha, licensed and running, syncs remote clusters.
    const active = typhaUp && isEnterprise(inst) && hasLicense(ctx);
    const wanted = new Set(active ? listRemoteClusterConfigs(ctx).map((r) => r.metadata.name) : []);
    for (const [name, sync] of this.syncs) {
      if (!wanted.has(name)) {
        sync.stop();
        this.syncs.delete(name);
      }
    }
    for (const name of wanted) if (!this.syncs.has(name)) this.syncs.set(name, new RemoteSync(ctx, name));
  }

  /** Remote clusters in sync, with what was last seen in each. */
  inSync(): Array<{ name: string; snapshot: RemoteSnapshot }> {
    const out: Array<{ name: string; snapshot: RemoteSnapshot }> = [];
    for (const [name, s] of this.syncs)
      if (s.status.state === 'InSync') out.push({ name, snapshot: s.status.snapshot });
    return out;
  }

  statusOf(name: string): SyncState | undefined {
    return this.syncs.get(name)?.status;
  }
}

// The federation of one ordered pair source -> destination, as one kind: the source grants a read-only
// identity, the destination holds a kubeconfig for it and a RemoteClusterConfiguration named after the source,
// and the destination's calico-typha reports it in sync.
import { stringify } from 'yaml';
import type { ClusterSpec } from '../../config/spec-types.ts';
import { type Deps, kubePollMs } from '../../deps.ts';
import { WaitTimeoutError } from '../../errors.ts';
import type { ClusterEndpoint } from '../../kube/access.ts';
import type { KubeApi, KubeObject } from '../../kube/client.ts';
import { renderManifestFile } from '../../kube/template.ts';
import type { StepContext, StepOutcome } from '../../steps/step.ts';
import { waitFor } from '../../steps/wait.ts';
import { requireClusterMeshApi } from './calico.ts';
import type { HealthLine, ObjectRef } from './health.ts';
import { deleteAll, findLabelled, type KindRef } from './labelled.ts';
import { CALICO_NS, FEDERATION_SA, remoteSecretName } from './names.ts';
import { readTyphaSync, type TyphaSync } from './typha.ts';

export const TOKEN_TIMEOUT_MS = 2 * 60_000;
export const SYNC_TIMEOUT_MS = 5 * 60_000;
const RCC = { apiVersion: 'projectcalico.org/v3', kind: 'RemoteClusterConfiguration' } as const;

/**
 * The kubeconfig a destination's calico-typha uses to read the source. It holds a bearer token: callers put it
 * in a Secret and nowhere else (never in a log, an excerpt or an error).
 */
export function federationKubeconfig(
  source: string,
  ep: Pick<ClusterEndpoint, 'endpoint' | 'caData'>,
  token: string,
): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: source, cluster: { server: ep.endpoint, 'certificate-authority-data': ep.caData } }],
    users: [{ name: FEDERATION_SA, user: { token } }],
    contexts: [{ name: `${FEDERATION_SA}@${source}`, context: { cluster: source, user: FEDERATION_SA } }],
    'current-context': `${FEDERATION_SA}@${source}`,
  });
}

export function sourceObjects(deps: Deps): KubeObject[] {
  return renderManifestFile('federation-source.yaml', { mesh: deps.spec.name });
}

export function destinationObjects(deps: Deps, source: string, kubeconfig: string): KubeObject[] {
  return renderManifestFile('federation-destination.yaml', {
    mesh: deps.spec.name,
    source,
    datastoreTypeB64: Buffer.from('kubernetes').toString('base64'),
    kubeconfigB64: Buffer.from(kubeconfig).toString('base64'),
  });
}

export interface PairFound {
  secret?: { data?: Record<string, string> };
  rcc?: KubeObject;
}

/** What the destination holds for reading `source`. */
export async function find(dst: KubeApi, source: string): Promise<PairFound> {
  const [secret, rcc] = await Promise.all([
    dst.get<{ data?: Record<string, string> }>('v1', 'Secret', remoteSecretName(source), CALICO_NS),
    dst.get(RCC.apiVersion, RCC.kind, source),
  ]);
  return { secret, rcc };
}

/** One status line for `dest reads source`: configured, credentials present, typha in sync. */
export async function health(dst: KubeApi, dest: string, source: string, typha?: TyphaSync): Promise<HealthLine> {
  const subject = `RemoteClusterConfiguration ${source}`;
  const { secret, rcc } = await find(dst, source);
  if (!rcc) return { health: 'absent', subject, detail: `not configured: ${dest} does not read ${source}` };
  // What typha reports is the sync state the gauges export, whatever the line's reason.
  const state = typha?.states.get(source);
  const value = state === undefined ? {} : { value: state };
  if (!secret) {
    const detail = `Secret ${CALICO_NS}/${remoteSecretName(source)} is missing`;
    return { health: 'failing', subject, detail, ...value };
  }
  const synced = typha?.inSync.get(source);
  if (synced) return { health: 'ok', subject, detail: 'in sync (calico-typha)', evidence: synced, ...value };
  const why = typha ? typha.notInSync.get(source) : 'calico-typha could not be read';
  const last = typha?.relevant.filter((l) => l.includes(`(${source})`)).at(-1);
  return {
    health: 'failing',
    subject,
    detail: `not in sync per calico-typha: ${why}${last ? `; last log line: ${last}` : ''}`,
    ...value,
  };
}

/** How long the identity waits for tigera-operator to make calico-system (it does once a node has joined). */
const NAMESPACE_TIMEOUT_MS = 15 * 60_000;

async function readToken(src: KubeApi): Promise<{ found: boolean; token?: string }> {
  const s = await src.get<{ data?: { token?: string } }>('v1', 'Secret', FEDERATION_SA, CALICO_NS);
  const t = s?.data?.token;
  return { found: !!s, ...(t ? { token: Buffer.from(t, 'base64').toString('utf8') } : {}) };
}

/**
 * The source's side of federation, for every destination at once: the read-only identity and its long-lived
 * token, in calico-system. Made while Calico is still coming up (the namespace comes first, from tigera-operator),
 * so that a destination becoming ready finds the token waiting. Returns the token; idempotent.
 */
export async function ensureIdentity(ctx: StepContext, deps: Deps, src: KubeApi, source: ClusterSpec): Promise<string> {
  await waitFor(ctx, {
    what: `${source.name}: namespace ${CALICO_NS} (tigera-operator makes it once a node has joined)`,
    intervalMs: kubePollMs(deps),
    timeoutMs: NAMESPACE_TIMEOUT_MS,
    poll: async () => {
      const ns = await src.get('v1', 'Namespace', CALICO_NS);
      return { done: !!ns, status: ns ? 'exists' : 'not made yet' };
    },
  });
  // In the file's order, the ServiceAccount before its token Secret: the token controller deletes a token Secret
  // whose ServiceAccount it cannot find.
  for (const o of sourceObjects(deps)) await src.apply(o);
  return awaitToken(ctx, deps, src, source);
}

async function awaitToken(ctx: StepContext, deps: Deps, src: KubeApi, source: ClusterSpec): Promise<string> {
  const token = await waitFor(ctx, {
    what: `${source.name}: token for ServiceAccount ${CALICO_NS}/${FEDERATION_SA}`,
    intervalMs: kubePollMs(deps),
    timeoutMs: TOKEN_TIMEOUT_MS,
    poll: async () => {
      const { found, token } = await readToken(src);
      return {
        done: !!token,
        status: found ? 'Secret exists, token not filled in yet' : 'Secret not found',
        value: token,
      };
    },
  });
  return token!;
}

/** What the source holds for its remote readers: the ServiceAccount and its token. */
export async function findIdentity(src: KubeApi): Promise<{ serviceAccount: boolean; token: boolean }> {
  const [sa, t] = await Promise.all([src.get('v1', 'ServiceAccount', FEDERATION_SA, CALICO_NS), readToken(src)]);
  return { serviceAccount: !!sa, token: !!t.token };
}

export interface PairClients {
  src: KubeApi;
  dst: KubeApi;
  /** The source's API endpoint and CA (DescribeCluster), for the kubeconfig. */
  sourceEndpoint: () => Promise<ClusterEndpoint>;
}

/** Creates or repairs `dest reads source`. Idempotent: the same token and kubeconfig change nothing. */
export async function ensure(
  ctx: StepContext,
  deps: Deps,
  clients: PairClients,
  source: ClusterSpec,
  dest: ClusterSpec,
): Promise<StepOutcome> {
  const { src, dst } = clients;
  const secretName = remoteSecretName(source.name);
  // The reads do not depend on one another: one round trip to each API instead of four in a row. Only a missing
  // token waits (ensureIdentity), and only once the destination is known to serve the Cluster Mesh API.
  const [, read, ep, before] = await Promise.all([
    requireClusterMeshApi(dst, deps, dest),
    readToken(src),
    clients.sourceEndpoint(),
    find(dst, source.name),
  ]);
  // The identity step's token, or the identity made again if it went missing since.
  const token = read.token ?? (await ensureIdentity(ctx, deps, src, source));
  await ctx.checkpoint();
  const objs = destinationObjects(deps, source.name, federationKubeconfig(source.name, ep, token));
  const wanted = objs.find((o) => o.kind === 'Secret')!.data as Record<string, string>;
  const unchanged = !!before.rcc && before.secret?.data?.kubeconfig === wanted.kubeconfig;
  // The RemoteClusterConfiguration last: calico-typha acts on it at once, and a first try before the Secret and
  // its RBAC exist fails and waits for typha's retry.
  const rcc = objs.find((o) => o.kind === RCC.kind)!;
  await Promise.all(objs.filter((o) => o !== rcc).map((o) => dst.apply(o)));
  await dst.apply(rcc);
  return {
    summary:
      `${dest.name}: Secret ${CALICO_NS}/${secretName} (kubeconfig for ${ep.endpoint} as ${FEDERATION_SA}), ` +
      `RemoteClusterConfiguration ${source.name} (overlayRoutingMode Enabled), ` +
      'Role/RoleBinding remote-cluster-secret-access for calico-typha',
    changed: !unchanged,
    resources: { secret: `${CALICO_NS}/${secretName}`, remoteClusterConfiguration: source.name },
  };
}

/** Waits until every Ready calico-typha replica reports InSync for every source; on timeout, typha's last words. */
export async function awaitSync(
  ctx: StepContext,
  deps: Deps,
  dst: KubeApi,
  dest: string,
  sources: string[],
): Promise<StepOutcome> {
  const what = `${dest}: calico-typha in sync with ${sources.join(', ')}`;
  let last: TyphaSync | undefined;
  try {
    await waitFor(ctx, {
      what,
      intervalMs: kubePollMs(deps),
      timeoutMs: SYNC_TIMEOUT_MS,
      poll: async () => {
        last = await readTyphaSync(dst, sources);
        const missing = sources.filter((s) => !last!.inSync.has(s));
        const why = missing.map((s) => `${s} (${last!.notInSync.get(s)})`).join(', ');
        const status =
          last.pods.length === 0
            ? 'no Ready calico-typha pod yet'
            : missing.length
              ? `not in sync yet: ${why}`
              : 'in sync';
        return { done: last.pods.length > 0 && missing.length === 0, status };
      },
    });
  } catch (err) {
    if (err instanceof WaitTimeoutError && last) {
      const lines = last.relevant.length ? last.relevant.join('\n') : '(none)';
      throw new WaitTimeoutError(
        what,
        SYNC_TIMEOUT_MS,
        `${err.lastSeen}; calico-typha's last lines about remote clusters:\n${lines}`,
      );
    }
    throw err;
  }
  return { summary: what, changed: false, excerpt: [...last!.inSync.values()].join('\n') };
}

/** What meshops makes for federation in a cluster, in the order to delete it: RCC first, so typha lets go. */
const FEDERATION_KINDS: KindRef[] = [
  RCC,
  { apiVersion: 'v1', kind: 'Secret', namespace: CALICO_NS },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', namespace: CALICO_NS },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', namespace: CALICO_NS },
  { apiVersion: 'v1', kind: 'ServiceAccount', namespace: CALICO_NS },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole' },
];

/** Every federation object of this mesh in a cluster, both as a source and as a destination. */
export function findAll(deps: Deps, client: KubeApi): Promise<ObjectRef[]> {
  return findLabelled(deps, client, FEDERATION_KINDS);
}

export async function remove(deps: Deps, client: KubeApi, between: () => Promise<void>): Promise<ObjectRef[]> {
  return deleteAll(client, await findAll(deps, client), between);
}

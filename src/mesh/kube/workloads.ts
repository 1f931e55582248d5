// The blueprint's test workload of one cluster, as one kind: a StatefulSet behind a headless Service, and a
// federated Service per remote cluster whose endpoints Calico fills from the other clusters.
// The replica count is changed one way only, by `applyStatefulSet` (server-side apply of the whole StatefulSet as
// field manager meshops): `/mesh up` passes the live count so it never undoes a `/mesh scale`, and `/mesh scale`
// passes the new one. One manager owning the field means no conflict between the two and no drift in between.
import type { ClusterSpec } from '../../config/spec-types.ts';
import { type Deps, kubePollMs } from '../../deps.ts';
import { conditionOf, type KubeApi, type KubeObject } from '../../kube/client.ts';
import { renderManifestFile } from '../../kube/template.ts';
import type { StepContext } from '../../steps/step.ts';
import { waitFor } from '../../steps/wait.ts';
import type { HealthLine, ObjectRef } from './health.ts';
import { deleteAll, findLabelled, type KindRef } from './labelled.ts';
import { namespaceObjects, otherClusters, podName, statefulSetName } from './names.ts';
import * as netshoot from './netshoot.ts';

export const WORKLOADS_READY_TIMEOUT_MS = 10 * 60_000;

export interface StatefulSetState {
  desired: number;
  ready: number;
}

/** The headless Service and the StatefulSet at `replicas`. */
export function statefulSetObjects(deps: Deps, cluster: ClusterSpec, replicas: number): KubeObject[] {
  const w = deps.spec.workloads;
  const values = {
    mesh: deps.spec.name,
    namespace: w.namespace,
    statefulSet: statefulSetName(cluster.name),
    replicas,
    image: w.image,
  };
  return renderManifestFile('workloads.yaml', values);
}

export function federatedServiceObjects(deps: Deps, cluster: ClusterSpec): KubeObject[] {
  const base = { mesh: deps.spec.name, namespace: deps.spec.workloads.namespace, cluster: cluster.name };
  return otherClusters(deps, cluster).flatMap((other) =>
    renderManifestFile('federated-service.yaml', {
      ...base,
      other: other.name,
      otherStatefulSet: statefulSetName(other.name),
    }),
  );
}

/** Everything of the kind, in apply order. */
export function objects(deps: Deps, cluster: ClusterSpec, replicas = deps.spec.workloads.replicas): KubeObject[] {
  return [
    ...namespaceObjects(deps),
    ...statefulSetObjects(deps, cluster, replicas),
    ...federatedServiceObjects(deps, cluster),
  ];
}

/** Every object of a cluster's test workload, netshoot included, as the blueprint's files hold them. */
export function workloadObjects(
  deps: Deps,
  cluster: ClusterSpec,
  replicas = deps.spec.workloads.replicas,
): KubeObject[] {
  return [...objects(deps, cluster, replicas), ...netshoot.objects(deps)];
}

export async function statefulSetState(
  client: KubeApi,
  deps: Deps,
  cluster: string,
): Promise<StatefulSetState | undefined> {
  type Sts = { spec?: { replicas?: number }; status?: { readyReplicas?: number } };
  const sts = await client.get<Sts>('apps/v1', 'StatefulSet', statefulSetName(cluster), deps.spec.workloads.namespace);
  if (!sts) return undefined;
  return { desired: sts.spec?.replicas ?? 0, ready: sts.status?.readyReplicas ?? 0 };
}

/** The one way the replica count changes (see the top of this file). */
export async function applyStatefulSet(
  client: KubeApi,
  deps: Deps,
  cluster: ClusterSpec,
  replicas: number,
): Promise<void> {
  const sts = statefulSetObjects(deps, cluster, replicas).find((o) => o.kind === 'StatefulSet')!;
  await client.apply(sts);
}

interface SliceLite {
  endpoints?: Array<{
    addresses?: string[];
    hostname?: string;
    targetRef?: { name?: string };
    conditions?: { ready?: boolean };
  }>;
}

export interface FederatedEndpoint {
  ip: string;
  hostname?: string;
  targetRef?: { name?: string };
}

/**
 * The ready endpoints `viewer`'s federated Service for `source` lists, from its EndpointSlices (v1 Endpoints is
 * deprecated from Kubernetes 1.33; the mirroring controller copies Calico's into slices). Remote ones are named
 * `<source>/<pod>`.
 */
export async function federatedEndpoints(viewer: KubeApi, deps: Deps, source: string): Promise<FederatedEndpoint[]> {
  const ns = deps.spec.workloads.namespace;
  const labelSelector = `kubernetes.io/service-name=${statefulSetName(source)}`;
  const slices = await viewer.list<SliceLite>('discovery.k8s.io/v1', 'EndpointSlice', { namespace: ns, labelSelector });
  return slices
    .flatMap((s) => s.endpoints ?? [])
    .filter((e) => e.conditions?.ready !== false)
    .flatMap((e) => (e.addresses ?? []).map((ip) => ({ ip, hostname: e.hostname, targetRef: e.targetRef })));
}

/** Pods of `source` that `viewer`'s federated Service lists, by pod name, sorted. */
export async function federatedPods(viewer: KubeApi, deps: Deps, source: string): Promise<string[]> {
  const names = (await federatedEndpoints(viewer, deps, source)).map((a) => a.targetRef?.name ?? '');
  return names
    .filter((n) => n.startsWith(`${source}/`))
    .map((n) => n.slice(source.length + 1))
    .sort();
}

export function expectedPods(cluster: string, replicas: number): string[] {
  return Array.from({ length: replicas }, (_, i) => podName(cluster, i)).sort();
}

interface PodLite {
  metadata: { name: string; labels?: Record<string, string> };
  status?: { phase?: string };
}

export interface Capacity {
  nodes: number;
  allocatablePods: number;
  otherPods: number;
  /** How many pods of the StatefulSet fit next to everything else. */
  room: number;
}

/** Pod slots left for the StatefulSet: allocatable pods on all nodes minus pods that are not ours. */
export async function podCapacity(client: KubeApi, sts: string): Promise<Capacity> {
  type NodeLite = { status?: { allocatable?: { pods?: string } } };
  const [nodes, pods] = await Promise.all([client.list<NodeLite>('v1', 'Node'), client.list<PodLite>('v1', 'Pod')]);
  const allocatablePods = nodes.reduce((n, x) => n + (Number(x.status?.allocatable?.pods) || 0), 0);
  const done = (p: PodLite) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
  const otherPods = pods.filter((p) => p.metadata.labels?.run !== sts && !done(p)).length;
  return { nodes: nodes.length, allocatablePods, otherPods, room: Math.max(0, allocatablePods - otherPods) };
}

/** Waits until the StatefulSet has exactly `replicas` pods, all Ready; says which are Pending and why. */
export async function awaitReplicas(
  ctx: StepContext,
  deps: Deps,
  client: KubeApi,
  cluster: ClusterSpec,
  replicas: number,
  opts: { timeoutMs: number; why?: string },
): Promise<void> {
  const sts = statefulSetName(cluster.name);
  await waitFor(ctx, {
    what: `${cluster.name}: ${sts} at ${replicas} Ready pods${opts.why ? ` (${opts.why})` : ''}`,
    intervalMs: kubePollMs(deps),
    timeoutMs: opts.timeoutMs,
    poll: async () => {
      const ns = deps.spec.workloads.namespace;
      const pods = await client.list<PodLite>('v1', 'Pod', { namespace: ns, labelSelector: `run=${sts}` });
      const ready = pods.filter((p) => conditionOf(p, 'Ready')?.status === 'True').length;
      const pending = pods.filter((p) => p.status?.phase === 'Pending');
      const scheduled = pending.map((p) => conditionOf(p, 'PodScheduled'));
      const unschedulable = scheduled.find((c) => c?.reason === 'Unschedulable')?.message;
      const names = pending
        .slice(0, 3)
        .map((p) => p.metadata.name)
        .join(', ');
      const pendingText = pending.length
        ? `, ${pending.length} Pending (${names}${pending.length > 3 ? ', ...' : ''})`
        : '';
      return {
        done: pods.length === replicas && ready === replicas,
        status: `${ready}/${replicas} Ready, ${pods.length} pods${pendingText}${unschedulable ? `; scheduler: ${unschedulable}` : ''}`,
      };
    },
  });
}

export interface WorkloadsFound {
  statefulSet?: StatefulSetState;
  federatedServices: string[];
}

export async function find(deps: Deps, client: KubeApi, cluster: ClusterSpec): Promise<WorkloadsFound> {
  const ns = deps.spec.workloads.namespace;
  const others = otherClusters(deps, cluster).map((c) => statefulSetName(c.name));
  const [statefulSet, services] = await Promise.all([
    statefulSetState(client, deps, cluster.name),
    Promise.all(others.map((svc) => client.get('v1', 'Service', svc, ns))),
  ]);
  return { statefulSet, federatedServices: others.filter((_, i) => services[i]) };
}

/** The federated Service for each other cluster (with its local and remote endpoints) and the StatefulSet. */
export async function health(deps: Deps, client: KubeApi, cluster: ClusterSpec): Promise<HealthLine[]> {
  const ns = deps.spec.workloads.namespace;
  const lines: HealthLine[] = [];
  for (const other of otherClusters(deps, cluster)) {
    const svc = statefulSetName(other.name);
    const subject = `federated Service ${svc}`;
    if (!(await client.get('v1', 'Service', svc, ns))) {
      lines.push({ health: 'absent', subject, detail: 'missing' });
      continue;
    }
    const names = (await federatedEndpoints(client, deps, other.name)).map((a) => a.targetRef?.name ?? '');
    const remote = names.filter((n) => n.includes('/')).length;
    const detail = `${names.length - remote} local, ${remote} remote endpoints`;
    lines.push({ health: remote > 0 ? 'ok' : 'failing', subject, detail });
  }
  const sts = await statefulSetState(client, deps, cluster.name);
  const subject = `StatefulSet ${statefulSetName(cluster.name)}`;
  lines.push(
    sts
      ? { health: sts.ready >= sts.desired ? 'ok' : 'warning', subject, detail: `${sts.ready}/${sts.desired} Ready` }
      : { health: 'absent', subject, detail: 'missing' },
  );
  return lines;
}

/** Applies the kind (keeping the live replica count) and waits until the StatefulSet is Ready. */
export async function ensure(
  ctx: StepContext,
  deps: Deps,
  client: KubeApi,
  cluster: ClusterSpec,
): Promise<{ replicas: number; created: boolean }> {
  const before = await statefulSetState(client, deps, cluster.name);
  // The StatefulSet's replica count belongs to `/mesh scale` once the set exists: keep what it is.
  const replicas = before?.desired ?? deps.spec.workloads.replicas;
  for (const o of objects(deps, cluster, replicas)) await client.apply(o);
  await ctx.checkpoint();
  await awaitReplicas(ctx, deps, client, cluster, replicas, { timeoutMs: WORKLOADS_READY_TIMEOUT_MS });
  return { replicas, created: !before };
}

function kinds(deps: Deps): KindRef[] {
  const ns = deps.spec.workloads.namespace;
  return [
    { apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: ns },
    { apiVersion: 'v1', kind: 'Service', namespace: ns },
  ];
}

export function findAll(deps: Deps, client: KubeApi): Promise<ObjectRef[]> {
  return findLabelled(deps, client, kinds(deps));
}

/** The StatefulSet and the Services; the namespace too when meshops made it (it carries our labels). */
export async function remove(deps: Deps, client: KubeApi, between: () => Promise<void>): Promise<ObjectRef[]> {
  return deleteAll(client, await findAll(deps, client), between);
}

/** A namespace meshops made (labelled), never one it found: deleted last, after everything in it. */
export async function findNamespace(deps: Deps, client: KubeApi): Promise<ObjectRef[]> {
  if (deps.spec.workloads.namespace === 'default') return [];
  return findLabelled(deps, client, [{ apiVersion: 'v1', kind: 'Namespace' }]);
}

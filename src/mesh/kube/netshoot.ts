// The netshoot pod of one cluster, as one kind: the toolbox every ping of the mesh is sent from.
import { type Deps, kubePollMs } from '../../deps.ts';
import { conditionOf, type KubeApi, type KubeObject } from '../../kube/client.ts';
import { renderManifestFile } from '../../kube/template.ts';
import type { StepContext } from '../../steps/step.ts';
import { waitFor } from '../../steps/wait.ts';
import type { HealthLine, ObjectRef } from './health.ts';
import { deleteAll, findLabelled } from './labelled.ts';
import { NETSHOOT, namespaceObjects } from './names.ts';

export const NETSHOOT_READY_TIMEOUT_MS = 10 * 60_000;

export function objects(deps: Deps): KubeObject[] {
  const w = deps.spec.workloads;
  return renderManifestFile('netshoot.yaml', { mesh: deps.spec.name, namespace: w.namespace, image: w.netshootImage });
}

export type PodState = 'missing' | 'ready' | string;

type ContainerWaiting = { state?: { waiting?: { reason?: string; message?: string } } };

/** "ready", "missing", or why not: "not Ready (Pending: ImagePullBackOff: ...)" with the kubelet's own words. */
export async function podReady(client: KubeApi, name: string, namespace: string): Promise<PodState> {
  type PodLite = { status?: { phase?: string; containerStatuses?: ContainerWaiting[] } };
  const pod = await client.get<PodLite>('v1', 'Pod', name, namespace);
  if (!pod) return 'missing';
  if (conditionOf(pod, 'Ready')?.status === 'True') return 'ready';
  const waiting = pod.status?.containerStatuses
    ?.map((c) => c.state?.waiting)
    .find((w) => w?.reason && w.reason !== 'ContainerCreating');
  const why = waiting ? `: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}` : '';
  return `not Ready (${pod.status?.phase ?? 'no phase'}${why})`;
}

export function find(deps: Deps, client: KubeApi): Promise<PodState> {
  return podReady(client, NETSHOOT, deps.spec.workloads.namespace);
}

export async function health(deps: Deps, client: KubeApi): Promise<HealthLine> {
  const n = await find(deps, client);
  const h = n === 'ready' ? 'ok' : n === 'missing' ? 'absent' : 'warning';
  return { health: h, subject: 'pod netshoot', detail: n === 'ready' ? 'Ready' : n };
}

/** Creates the pod when missing (a Pod's spec cannot change in place: an existing one is left alone), waits Ready. */
export async function ensure(
  ctx: StepContext,
  deps: Deps,
  client: KubeApi,
  cluster: string,
): Promise<{ created: boolean }> {
  const before = await find(deps, client);
  if (before === 'missing') for (const o of [...namespaceObjects(deps), ...objects(deps)]) await client.apply(o);
  await ctx.checkpoint();
  await waitFor(ctx, {
    what: `${cluster}: netshoot Ready`,
    intervalMs: kubePollMs(deps),
    timeoutMs: NETSHOOT_READY_TIMEOUT_MS,
    poll: async () => {
      const n = await find(deps, client);
      return { done: n === 'ready', status: `netshoot ${n}` };
    },
  });
  return { created: before === 'missing' };
}

export function findAll(deps: Deps, client: KubeApi): Promise<ObjectRef[]> {
  return findLabelled(deps, client, [{ apiVersion: 'v1', kind: 'Pod', namespace: deps.spec.workloads.namespace }]);
}

export async function remove(deps: Deps, client: KubeApi, between: () => Promise<void>): Promise<ObjectRef[]> {
  return deleteAll(client, await findAll(deps, client), between);
}

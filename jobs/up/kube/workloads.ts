// The blueprint's test workloads: a StatefulSet behind a headless Service, a federated Service per remote
// cluster, and a netshoot pod to ping from.
import type { ClusterSpec } from '../../../src/config/spec-types.ts';
import type { Deps } from '../../../src/deps.ts';
import { conditionOf, type KubeClient, type KubeObject } from '../../../src/kube/client.ts';
import { renderManifestFile } from '../../../src/kube/template.ts';
import { leaf, type LeafStep } from '../../../src/steps/step.ts';
import { waitFor } from '../../../src/steps/wait.ts';
import { kubeFor, meshLabels, otherClusters, statefulSetName } from './common.ts';

export const WORKLOADS_READY_TIMEOUT_MS = 10 * 60_000;
export const NETSHOOT = 'netshoot';

export function workloadObjects(deps: Deps, cluster: ClusterSpec, replicas = deps.spec.workloads.replicas): KubeObject[] {
  const w = deps.spec.workloads;
  const base = { mesh: deps.spec.name, namespace: w.namespace };
  const objs: KubeObject[] = [];
  if (w.namespace !== 'default') objs.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: w.namespace, labels: meshLabels(deps) } });
  objs.push(...renderManifestFile('workloads.yaml', { ...base, cluster: cluster.name, replicas, image: w.image }));
  for (const other of otherClusters(deps, cluster)) objs.push(...renderManifestFile('federated-service.yaml', { ...base, cluster: cluster.name, other: other.name }));
  objs.push(...renderManifestFile('netshoot.yaml', { ...base, image: w.netshootImage }));
  return objs;
}

export interface StatefulSetState {
  desired: number;
  ready: number;
}

export async function statefulSetState(client: KubeClient, deps: Deps, cluster: string): Promise<StatefulSetState | undefined> {
  const sts = await client.get<{ spec?: { replicas?: number }; status?: { readyReplicas?: number } }>('apps/v1', 'StatefulSet', statefulSetName(cluster), deps.spec.workloads.namespace);
  if (!sts) return undefined;
  return { desired: sts.spec?.replicas ?? 0, ready: sts.status?.readyReplicas ?? 0 };
}

export async function podReady(client: KubeClient, name: string, namespace: string): Promise<'missing' | 'ready' | string> {
  const pod = await client.get<{ status?: { phase?: string } }>('v1', 'Pod', name, namespace);
  if (!pod) return 'missing';
  if (conditionOf(pod, 'Ready')?.status === 'True') return 'ready';
  return `not Ready (${pod.status?.phase ?? 'no phase'})`;
}

export function workloadsStep(deps: Deps, cluster: ClusterSpec): LeafStep {
  const w = deps.spec.workloads;
  const sts = statefulSetName(cluster.name);
  return leaf(
    `workloads/${cluster.name}`,
    `${cluster.name}: StatefulSet ${sts} (${w.replicas} x ${w.image}), federated services for ${otherClusters(deps, cluster).map((c) => c.name).join(', ')}, netshoot`,
    async (ctx) => {
      const client = await kubeFor(deps, cluster);
      const before = await statefulSetState(client, deps, cluster.name);
      const netshootBefore = await podReady(client, NETSHOOT, w.namespace);
      // The StatefulSet's replica count belongs to `/mesh scale` once the set exists: keep what it is.
      const replicas = before?.desired ?? w.replicas;
      for (const o of workloadObjects(deps, cluster, replicas)) {
        // A Pod's spec cannot change in place; leave an existing netshoot alone.
        if (o.kind === 'Pod' && netshootBefore !== 'missing') continue;
        await client.apply(o);
      }
      await ctx.checkpoint();
      await waitFor(ctx, {
        what: `${cluster.name}: ${sts} and netshoot Ready`,
        intervalMs: deps.pollIntervalMs,
        timeoutMs: WORKLOADS_READY_TIMEOUT_MS,
        poll: async () => {
          const s = await statefulSetState(client, deps, cluster.name);
          const n = await podReady(client, NETSHOOT, w.namespace);
          const done = !!s && s.ready >= s.desired && n === 'ready';
          return { done, status: `${sts} ${s?.ready ?? 0}/${s?.desired ?? replicas} Ready, netshoot ${n}` };
        },
      });
      return {
        summary: `${cluster.name}: ${sts} ${replicas}/${replicas} Ready, federated services ${otherClusters(deps, cluster).map((c) => statefulSetName(c.name)).join(', ')}, netshoot Ready (namespace ${w.namespace})`,
        changed: !before || netshootBefore === 'missing',
      };
    },
    async () => {
      const client = await kubeFor(deps, cluster);
      const s = await statefulSetState(client, deps, cluster.name);
      const n = await podReady(client, NETSHOOT, w.namespace);
      if (!s && n === 'missing') return { state: 'missing', detail: `no ${sts}, no netshoot` };
      const detail = `${sts} ${s ? `${s.ready}/${s.desired} Ready` : 'missing'}, netshoot ${n}`;
      return { state: s && s.ready >= s.desired && n === 'ready' ? 'exists' : 'partial', detail };
    },
  );
}

// `/mesh scale CLUSTER N`: resize the StatefulSet, wait for its pods, then wait until every other cluster sees
// exactly those pods as federated endpoints (new ones appear, removed ones leave).
import type { ClusterSpec } from '../src/config/spec-types.ts';
import type { Deps } from '../src/deps.ts';
import { PermanentError } from '../src/errors.ts';
import type { KubeClient } from '../src/kube/client.ts';
import { conditionOf } from '../src/kube/client.ts';
import { leaf, type LeafStep } from '../src/steps/step.ts';
import { waitFor } from '../src/steps/wait.ts';
import { kubeFor, otherClusters, podDnsName, statefulSetName } from './up/kube/common.ts';
import { statefulSetState } from './up/kube/workloads.ts';

export const SCALE_READY_TIMEOUT_MS = 10 * 60_000;
export const FEDERATION_TIMEOUT_MS = 5 * 60_000;

interface PodLite {
  metadata: { name: string; labels?: Record<string, string> };
  spec?: { nodeName?: string };
  status?: { phase?: string };
}

interface NodeLite {
  status?: { allocatable?: { pods?: string } };
}

export interface Capacity {
  nodes: number;
  allocatablePods: number;
  otherPods: number;
  /** How many pods of the StatefulSet fit next to everything else. */
  room: number;
}

/** Pod slots left for the StatefulSet: allocatable pods on all nodes minus pods that are not ours. */
export async function podCapacity(client: KubeClient, sts: string): Promise<Capacity> {
  const [nodes, pods] = await Promise.all([client.list<NodeLite>('v1', 'Node'), client.list<PodLite>('v1', 'Pod')]);
  const allocatablePods = nodes.reduce((n, x) => n + (Number(x.status?.allocatable?.pods) || 0), 0);
  const otherPods = pods.filter((p) => p.metadata.labels?.run !== sts && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed').length;
  return { nodes: nodes.length, allocatablePods, otherPods, room: Math.max(0, allocatablePods - otherPods) };
}

interface EndpointsLite {
  subsets?: Array<{ addresses?: Array<{ targetRef?: { name?: string }; hostname?: string }>; notReadyAddresses?: Array<{ targetRef?: { name?: string } }> }>;
}

/** Pods of `source` that `viewer`'s federated Service lists, by pod name, sorted. */
export async function federatedPods(viewer: KubeClient, deps: Deps, source: string): Promise<string[]> {
  const eps = await viewer.get<EndpointsLite>('v1', 'Endpoints', statefulSetName(source), deps.spec.workloads.namespace);
  const names = (eps?.subsets ?? []).flatMap((s) => s.addresses ?? []).map((a) => a.targetRef?.name ?? '');
  return names.filter((n) => n.startsWith(`${source}/`)).map((n) => n.slice(source.length + 1)).sort();
}

function expectedPods(cluster: string, replicas: number): string[] {
  return Array.from({ length: replicas }, (_, i) => `${statefulSetName(cluster)}-${i}`).sort();
}

export interface ScaleTimeouts {
  readyTimeoutMs?: number;
  federationTimeoutMs?: number;
}

export function scaleStep(deps: Deps, cluster: ClusterSpec, replicas: number, timeouts: ScaleTimeouts = {}): LeafStep {
  const sts = statefulSetName(cluster.name);
  const ns = deps.spec.workloads.namespace;
  return leaf(
    `scale/${cluster.name}`,
    `${cluster.name}: scale ${sts} to ${replicas} and wait until every other cluster sees exactly those pods`,
    async (ctx) => {
      if (!Number.isInteger(replicas) || replicas < 0 || replicas > deps.spec.workloads.maxReplicas) {
        throw new PermanentError(`replicas must be a whole number from 0 to ${deps.spec.workloads.maxReplicas}, got ${replicas}`, {
          code: 'InvalidReplicas',
          hint: 'raise workloads.maxReplicas in the mesh spec to allow more',
        });
      }
      const client = await kubeFor(deps, cluster);
      const before = await statefulSetState(client, deps, cluster.name);
      if (!before) {
        throw new PermanentError(`StatefulSet ${ns}/${sts} does not exist in ${cluster.name}`, { code: 'NotFound', hint: 'run `/mesh up` first' });
      }
      const cap = await podCapacity(client, sts);
      const warning =
        replicas > cap.room
          ? `warning: ${replicas} replicas exceed what the node group holds now: ${cap.nodes} nodes x ${cap.nodes ? Math.round(cap.allocatablePods / cap.nodes) : 0} allocatable pods = ${cap.allocatablePods}, ${cap.otherPods} taken by other pods, room for ${cap.room}; some pods will stay Pending (scale the node group, max ${cluster.nodeGroup.maxSize} nodes)`
          : '';
      if (warning) ctx.note(warning);
      if (before.desired !== replicas) await client.mergePatch({ apiVersion: 'apps/v1', kind: 'StatefulSet', name: sts, namespace: ns }, { spec: { replicas } });
      await ctx.checkpoint();

      const want = expectedPods(cluster.name, replicas);
      await waitFor(ctx, {
        what: `${cluster.name}: ${sts} at ${replicas} Ready pods${warning ? ` (${warning})` : ''}`,
        intervalMs: deps.pollIntervalMs,
        timeoutMs: timeouts.readyTimeoutMs ?? SCALE_READY_TIMEOUT_MS,
        poll: async () => {
          const pods = await client.list<PodLite>('v1', 'Pod', { namespace: ns, labelSelector: `run=${sts}` });
          const ready = pods.filter((p) => conditionOf(p, 'Ready')?.status === 'True').length;
          const pending = pods.filter((p) => p.status?.phase === 'Pending');
          const unschedulable = pending.map((p) => conditionOf(p, 'PodScheduled')).find((c) => c?.reason === 'Unschedulable')?.message;
          return {
            done: pods.length === replicas && ready === replicas,
            status: `${ready}/${replicas} Ready, ${pods.length} pods${pending.length ? `, ${pending.length} Pending (${pending.slice(0, 3).map((p) => p.metadata.name).join(', ')}${pending.length > 3 ? ', ...' : ''})` : ''}${unschedulable ? `; scheduler: ${unschedulable}` : ''}`,
          };
        },
      });
      await ctx.checkpoint();

      const others = otherClusters(deps, cluster);
      const viewers = await Promise.all(others.map(async (o) => ({ name: o.name, client: await kubeFor(deps, o) })));
      await waitFor(ctx, {
        what: `${others.map((o) => o.name).join(', ')} to see exactly ${replicas} pods of ${cluster.name}`,
        intervalMs: deps.pollIntervalMs,
        timeoutMs: timeouts.federationTimeoutMs ?? FEDERATION_TIMEOUT_MS,
        poll: async () => {
          const seen = await Promise.all(viewers.map(async (v) => ({ name: v.name, pods: await federatedPods(v.client, deps, cluster.name) })));
          const off = seen.filter((s) => s.pods.join(',') !== want.join(','));
          return {
            done: off.length === 0,
            status: off.length ? off.map((s) => `${s.name} sees ${s.pods.length} (${s.pods.join(', ') || 'none'})`).join('; ') : 'all see them',
          };
        },
      });
      const names = Array.from({ length: replicas }, (_, i) => podDnsName(cluster.name, i));
      return {
        summary: `${cluster.name}: ${sts} ${before.desired === replicas ? 'already at' : `scaled ${before.desired} ->`} ${replicas}, ${replicas}/${replicas} Ready; federated endpoints in ${others.map((o) => o.name).join(', ')}: ${replicas}${warning ? `; ${warning}` : ''}`,
        changed: before.desired !== replicas,
        excerpt: names.length ? `reachable from ${others.map((o) => o.name).join(', ')} as:\n${names.join('\n')}` : `no pods left in ${cluster.name}`,
      };
    },
    async () => {
      const client = await kubeFor(deps, cluster);
      const s = await statefulSetState(client, deps, cluster.name);
      if (!s) return { state: 'missing', detail: `${sts} does not exist` };
      return s.desired === replicas && s.ready === replicas
        ? { state: 'exists', detail: `${sts} already at ${replicas}` }
        : { state: 'partial', detail: `${sts} ${s.ready}/${s.desired} Ready -> ${replicas}` };
    },
  );
}

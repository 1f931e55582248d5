// `/mesh scale CLUSTER N`: resize the StatefulSet, wait for its pods, then wait until every other cluster sees
// exactly those pods as federated endpoints (new ones appear, removed ones leave).
import type { ClusterSpec } from '../src/config/spec-types.ts';
import { type Deps, kubePollMs } from '../src/deps.ts';
import { PermanentError } from '../src/errors.ts';
import { kubeFor, otherClusters, podDnsName, statefulSetName } from '../src/mesh/kube/names.ts';
import * as workloads from '../src/mesh/kube/workloads.ts';
import { type LeafStep, leaf } from '../src/steps/step.ts';
import { waitFor } from '../src/steps/wait.ts';

export const SCALE_READY_TIMEOUT_MS = 10 * 60_000;
export const FEDERATION_TIMEOUT_MS = 5 * 60_000;

export interface ScaleTimeouts {
  readyTimeoutMs?: number;
  federationTimeoutMs?: number;
}

function checkReplicas(deps: Deps, replicas: number): void {
  const max = deps.spec.workloads.maxReplicas;
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > max) {
    throw new PermanentError(`replicas must be a whole number from 0 to ${max}, got ${replicas}`, {
      code: 'InvalidReplicas',
      hint: 'raise workloads.maxReplicas in the mesh spec to allow more',
    });
  }
}

function capacityWarning(cap: workloads.Capacity, replicas: number, cluster: ClusterSpec): string {
  if (replicas <= cap.room) return '';
  const perNode = cap.nodes ? Math.round(cap.allocatablePods / cap.nodes) : 0;
  return (
    `warning: ${replicas} replicas exceed what the node group holds now: ${cap.nodes} nodes x ${perNode} ` +
    `allocatable pods = ${cap.allocatablePods}, ${cap.otherPods} taken by other pods, room for ${cap.room}; ` +
    `some pods will stay Pending (scale the node group, max ${cluster.nodeGroup.maxSize} nodes)`
  );
}

export function scaleStep(deps: Deps, cluster: ClusterSpec, replicas: number, timeouts: ScaleTimeouts = {}): LeafStep {
  const sts = statefulSetName(cluster.name);
  const ns = deps.spec.workloads.namespace;
  return leaf(
    `scale/${cluster.name}`,
    `${cluster.name}: scale ${sts} to ${replicas} and wait until every other cluster sees exactly those pods`,
    async (ctx) => {
      checkReplicas(deps, replicas);
      const client = await kubeFor(deps, cluster);
      const before = await workloads.statefulSetState(client, deps, cluster.name);
      if (!before) {
        throw new PermanentError(`StatefulSet ${ns}/${sts} does not exist in ${cluster.name}`, {
          code: 'NotFound',
          hint: 'run `/mesh up` first',
        });
      }
      const warning = capacityWarning(await workloads.podCapacity(client, sts), replicas, cluster);
      if (warning) ctx.note(warning);
      if (before.desired !== replicas) await workloads.applyStatefulSet(client, deps, cluster, replicas);
      await ctx.checkpoint();

      const readyTimeoutMs = timeouts.readyTimeoutMs ?? SCALE_READY_TIMEOUT_MS;
      await workloads.awaitReplicas(ctx, deps, client, cluster, replicas, { timeoutMs: readyTimeoutMs, why: warning });
      await ctx.checkpoint();

      const others = otherClusters(deps, cluster);
      const viewers = await Promise.all(others.map(async (o) => ({ name: o.name, client: await kubeFor(deps, o) })));
      const want = workloads.expectedPods(cluster.name, replicas);
      await waitFor(ctx, {
        what: `${others.map((o) => o.name).join(', ')} to see exactly ${replicas} pods of ${cluster.name}`,
        intervalMs: kubePollMs(deps),
        timeoutMs: timeouts.federationTimeoutMs ?? FEDERATION_TIMEOUT_MS,
        poll: async () => {
          const seen = await Promise.all(
            viewers.map(async (v) => ({
              name: v.name,
              pods: await workloads.federatedPods(v.client, deps, cluster.name),
            })),
          );
          const off = seen.filter((s) => s.pods.join(',') !== want.join(','));
          const status = off.map((s) => `${s.name} sees ${s.pods.length} (${s.pods.join(', ') || 'none'})`).join('; ');
          return { done: off.length === 0, status: off.length ? status : 'all see them' };
        },
      });
      const names = Array.from({ length: replicas }, (_, i) => podDnsName(cluster.name, i));
      const from = others.map((o) => o.name).join(', ');
      const moved = before.desired === replicas ? 'already at' : `scaled ${before.desired} ->`;
      return {
        summary:
          `${cluster.name}: ${sts} ${moved} ${replicas}, ${replicas}/${replicas} Ready; ` +
          `federated endpoints in ${from}: ${replicas}${warning ? `; ${warning}` : ''}`,
        changed: before.desired !== replicas,
        excerpt: names.length ? `reachable from ${from} as:\n${names.join('\n')}` : `no pods left in ${cluster.name}`,
      };
    },
    async () => {
      const s = await workloads.statefulSetState(await kubeFor(deps, cluster), deps, cluster.name);
      if (!s) return { state: 'missing', detail: `${sts} does not exist` };
      return s.desired === replicas && s.ready === replicas
        ? { state: 'exists', detail: `${sts} already at ${replicas}` }
        : { state: 'partial', detail: `${sts} ${s.ready}/${s.desired} Ready -> ${replicas}` };
    },
  );
}

// `/mesh up`, one cluster: the test workload and the netshoot pod, applied and waited for side by side
// (src/mesh/kube/workloads.ts and netshoot.ts do the work).
import type { ClusterSpec } from '../../../src/config/spec-types.ts';
import type { Deps } from '../../../src/deps.ts';
import { kubeFor, otherClusters, statefulSetName } from '../../../src/mesh/kube/names.ts';
import * as netshoot from '../../../src/mesh/kube/netshoot.ts';
import * as workloads from '../../../src/mesh/kube/workloads.ts';
import { type LeafStep, leaf } from '../../../src/steps/step.ts';

export function workloadsStep(deps: Deps, cluster: ClusterSpec): LeafStep {
  const w = deps.spec.workloads;
  const sts = statefulSetName(cluster.name);
  const feds = otherClusters(deps, cluster).map((c) => statefulSetName(c.name));
  return leaf(
    `workloads/${cluster.name}`,
    `${cluster.name}: StatefulSet ${sts} (${w.replicas} x ${w.image}), federated services for ` +
      `${otherClusters(deps, cluster)
        .map((c) => c.name)
        .join(', ')}, netshoot`,
    async (ctx) => {
      const client = await kubeFor(deps, cluster);
      const [set, pod] = await Promise.all([
        workloads.ensure(ctx, deps, client, cluster),
        netshoot.ensure(ctx, deps, client, cluster.name),
      ]);
      return {
        summary:
          `${cluster.name}: ${sts} ${set.replicas}/${set.replicas} Ready, federated services ${feds.join(', ')}, ` +
          `netshoot Ready (namespace ${w.namespace})`,
        changed: set.created || pod.created,
      };
    },
    async () => {
      const client = await kubeFor(deps, cluster);
      const [found, n] = await Promise.all([workloads.find(deps, client, cluster), netshoot.find(deps, client)]);
      const s = found.statefulSet;
      if (!s && n === 'missing') return { state: 'missing', detail: `no ${sts}, no netshoot` };
      const detail = `${sts} ${s ? `${s.ready}/${s.desired} Ready` : 'missing'}, netshoot ${n}`;
      return { state: s && s.ready >= s.desired && n === 'ready' ? 'exists' : 'partial', detail };
    },
  );
}

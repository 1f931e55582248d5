// The Kubernetes half of `/mesh status` for one cluster: the `health` of each kind of the catalogue (Calico
// with the nodes, the federation from every other cluster, the workloads, netshoot).
// Read-only; an unreachable cluster is one failing line, never a throw.
import type { ClusterSpec } from '../../src/config/spec-types.ts';
import type { Deps } from '../../src/deps.ts';
import { errorMessage, PermanentError } from '../../src/errors.ts';
import type { KubeApi } from '../../src/kube/client.ts';
import * as calico from '../../src/mesh/kube/calico.ts';
import * as federation from '../../src/mesh/kube/federation.ts';
import type { HealthLine } from '../../src/mesh/kube/health.ts';
import { kubeFor, otherClusters, statefulSetName } from '../../src/mesh/kube/names.ts';
import * as netshoot from '../../src/mesh/kube/netshoot.ts';
import { readTyphaSync } from '../../src/mesh/kube/typha.ts';
import * as workloads from '../../src/mesh/kube/workloads.ts';
import { pingCell } from '../../src/mesh/ping/parse.ts';
import { pingFrom } from '../../src/mesh/ping/probe.ts';
import type { StatusLine } from './types.ts';

async function federationLines(deps: Deps, client: KubeApi, cluster: ClusterSpec): Promise<HealthLine[]> {
  const others = otherClusters(deps, cluster).map((c) => c.name);
  const typha = await readTyphaSync(client, others).catch(() => undefined);
  return Promise.all(others.map((other) => federation.health(client, cluster.name, other, typha)));
}

async function workloadLines(deps: Deps, client: KubeApi, cluster: ClusterSpec): Promise<HealthLine[]> {
  const [sets, pod] = await Promise.all([workloads.health(deps, client, cluster), netshoot.health(deps, client)]);
  return [...sets, pod];
}

/** One ping per other cluster, ending with a full-MTU packet with fragmentation forbidden: the path carries it. */
async function pathLines(deps: Deps, client: KubeApi, cluster: ClusterSpec): Promise<HealthLine[]> {
  const others = otherClusters(deps, cluster);
  if ((await netshoot.find(deps, client)) !== 'ready') {
    return others.map((o) => ({
      health: 'absent',
      subject: `ping to ${o.name}`,
      detail: 'no Ready netshoot to ping from',
    }));
  }
  return Promise.all(
    others.map(async (o): Promise<HealthLine> => {
      const p = await pingFrom(deps, cluster, o.name, statefulSetName(o.name));
      const subject = `ping to ${o.name}`;
      if (p.result.ok) {
        const detail = `${statefulSetName(o.name)} answers, also one ${p.result.mtu}-byte packet with fragmentation forbidden`;
        return { health: 'ok', subject, detail };
      }
      return {
        health: 'failing',
        subject,
        detail: `${pingCell(p.result)}${p.result.message ? `: ${p.result.message}` : ''}`,
      };
    }),
  );
}

const asStatus = (l: HealthLine): StatusLine => ({
  health: l.health,
  subject: l.subject,
  detail: l.detail,
  ...(l.value === undefined ? {} : { value: l.value }),
});

export async function observeKube(deps: Deps, cluster: ClusterSpec): Promise<StatusLine[]> {
  let client: KubeApi;
  try {
    client = await kubeFor(deps, cluster);
  } catch (err) {
    if (err instanceof PermanentError && err.code === 'ResourceNotFoundException') {
      return [{ health: 'absent', subject: 'Kubernetes', detail: `no EKS cluster ${deps.spec.name}-${cluster.name}` }];
    }
    return [{ health: 'failing', subject: 'Kubernetes API', detail: `unreachable: ${errorMessage(err)}` }];
  }
  try {
    const groups = await Promise.all([
      calico.health(client, cluster, deps.spec.calico.variant),
      federationLines(deps, client, cluster),
      workloadLines(deps, client, cluster),
      pathLines(deps, client, cluster),
    ]);
    return groups.flat().map(asStatus);
  } catch (err) {
    return [{ health: 'failing', subject: 'Kubernetes API', detail: `unreachable: ${errorMessage(err)}` }];
  }
}

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
import { kubeFor, otherClusters, podDnsName } from '../../src/mesh/kube/names.ts';
import * as netshoot from '../../src/mesh/kube/netshoot.ts';
import { readTyphaSync } from '../../src/mesh/kube/typha.ts';
import * as workloads from '../../src/mesh/kube/workloads.ts';
import { pingCell } from '../../src/mesh/ping/parse.ts';
import { pingFrom } from '../../src/mesh/ping/probe.ts';
import type { PathHealth } from '../../src/metrics/mesh-health.ts';
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

/**
 * One ping per other cluster, to its pod 0 as `/mesh ping FROM TO-0` does, ending with a full-MTU packet with
 * fragmentation forbidden: the path carries it. The line keeps the ping's numbers: the pass's gauges and the
 * topology picture read them from it, so a pass pings each ordered pair once.
 */
async function pathLines(deps: Deps, client: KubeApi, cluster: ClusterSpec): Promise<StatusLine[]> {
  const others = otherClusters(deps, cluster);
  if ((await netshoot.find(deps, client)) !== 'ready') {
    return others.map((o) => ({
      health: 'absent',
      subject: `ping to ${o.name}`,
      detail: 'no Ready netshoot to ping from',
    }));
  }
  return Promise.all(
    others.map(async (o): Promise<StatusLine> => {
      const target = podDnsName(o.name, 0);
      const { result } = await pingFrom(deps, cluster, o.name, target);
      const subject = `ping to ${o.name}`;
      const path: PathHealth = { from: cluster.name, to: o.name, packetLoss: result.lossPercent / 100 };
      if (result.rttMs) path.rttSeconds = result.rttMs.avg / 1000;
      if (result.ok) {
        const detail = `${target} answers, also one ${result.mtu}-byte packet with fragmentation forbidden`;
        return { health: 'ok', subject, detail, path };
      }
      path.failure = result.message ?? result.failure ?? 'no reply';
      return {
        health: 'failing',
        subject,
        detail: `${pingCell(result)}${result.message ? `: ${result.message}` : ''}`,
        path,
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
    const [lines, paths] = await Promise.all([
      Promise.all([
        calico.health(client, cluster, deps.spec.calico.variant),
        federationLines(deps, client, cluster),
        workloadLines(deps, client, cluster),
      ]),
      pathLines(deps, client, cluster),
    ]);
    return [...lines.flat().map(asStatus), ...paths];
  } catch (err) {
    return [{ health: 'failing', subject: 'Kubernetes API', detail: `unreachable: ${errorMessage(err)}` }];
  }
}

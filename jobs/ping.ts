// `/mesh ping FROM TARGET`: from FROM's netshoot pod, ping a service, one pod, or every pod of every other
// cluster (side by side), render the results as a table, and explain each failure by walking the chain.

import type { ClusterSpec } from '../src/config/spec-types.ts';
import type { Deps } from '../src/deps.ts';
import { errorMessage } from '../src/errors.ts';
import { clusterNamed, kubeFor, otherClusters, podDnsName, statefulSetName } from '../src/mesh/kube/names.ts';
import { statefulSetState } from '../src/mesh/kube/workloads.ts';
import { type Diagnosis, diagnose } from '../src/mesh/ping/diagnose.ts';
import { pingCell } from '../src/mesh/ping/parse.ts';
import { type PingProbe, pingFrom } from '../src/mesh/ping/probe.ts';
import { renderTable } from '../src/mesh/ping/table.ts';
import type { PingTarget } from '../src/mesh-command.ts';

export interface PingReport {
  ok: boolean;
  probes: PingProbe[];
  /** The results as a plain-text table (for a code block). */
  matrix: string;
  /** One diagnosis per failed probe, in probe order. */
  diagnoses: Array<{ probe: PingProbe; diagnosis: Diagnosis }>;
}

/** The names to ping, each with the cluster it lives in. */
export async function pingTargets(
  deps: Deps,
  from: ClusterSpec,
  target: PingTarget,
): Promise<Array<{ to: string; name: string }>> {
  if (target.kind === 'service') return [{ to: target.cluster, name: statefulSetName(target.cluster) }];
  if (target.kind === 'pod') return [{ to: target.cluster, name: podDnsName(target.cluster, target.ordinal) }];
  const out: Array<{ to: string; name: string }> = [];
  for (const other of otherClusters(deps, from)) {
    let count = deps.spec.workloads.replicas;
    try {
      count = (await statefulSetState(await kubeFor(deps, other), deps, other.name))?.desired ?? count;
    } catch {
      // The other cluster's API is unreachable: ping what the spec says should be there; the diagnosis will tell.
    }
    for (let i = 0; i < count; i++) out.push({ to: other.name, name: podDnsName(other.name, i) });
  }
  return out;
}

export function renderPingMatrix(probes: PingProbe[]): string {
  return renderTable(
    ['from', 'to', 'target', 'ip', 'result'],
    probes.map((p) => [p.from, p.to, p.target, p.result.ip ?? '-', pingCell(p.result)]),
  );
}

export async function runPing(deps: Deps, fromName: string, target: PingTarget): Promise<PingReport> {
  const from = clusterNamed(deps, fromName);
  const targets = await pingTargets(deps, from, target);
  const probes = await Promise.all(targets.map((t) => pingFrom(deps, from, t.to, t.name)));
  const diagnoses = await Promise.all(
    probes
      .filter((p) => !p.result.ok)
      .map(async (probe) => {
        try {
          return { probe, diagnosis: await diagnose(deps, probe) };
        } catch (err) {
          const text = `could not diagnose ${probe.target}: ${errorMessage(err)}`;
          return { probe, diagnosis: { findings: [], text } as Diagnosis };
        }
      }),
  );
  return { ok: probes.every((p) => p.result.ok), probes, matrix: renderPingMatrix(probes), diagnoses };
}

// `/mesh ping FROM TARGET` as a job: the pings side by side, a matrix of results, and for each failure the
// diagnosis that names the first broken link. `all` pings from every cluster to every pod of every other one.

import type { Deps } from '../src/deps.ts';
import type { PingTarget } from '../src/mesh-command.ts';
import type { JobResult } from '../src/queue/job-types.ts';
import type { JobContext } from '../src/queue/worker.ts';
import { codeBlock } from '../src/slack/format.ts';
import { renderPingMatrix, runPing } from './ping.ts';

export async function pingJob(deps: Deps, ctx: JobContext, from: string, target: PingTarget): Promise<JobResult> {
  const froms = target.kind === 'all' ? deps.spec.clusters.map((c) => c.name) : [from];
  ctx.reporter.note(
    target.kind === 'all'
      ? `pinging every pod of every other cluster from ${froms.join(', ')}`
      : `pinging from ${from}'s netshoot`,
  );
  const reports = await Promise.all(froms.map((f) => runPing(deps, f, target)));
  const probes = reports.flatMap((r) => r.probes);
  const diagnoses = reports.flatMap((r) => r.diagnoses);
  const failed = probes.filter((p) => !p.result.ok).length;
  const matrix = codeBlock(renderPingMatrix(probes));
  if (failed === 0) {
    return {
      ok: true,
      summary: `All ${probes.length} ping${probes.length === 1 ? '' : 's'} answered.`,
      details: [matrix],
    };
  }
  const first = diagnoses[0]?.diagnosis.broken;
  return {
    ok: false,
    summary: `${failed} of ${probes.length} ping${probes.length === 1 ? '' : 's'} failed.${first ? ` First broken link: *${first.link}*: ${first.detail}` : ''}`,
    details: [
      matrix,
      ...diagnoses.slice(0, 10).map((d) => `*Why ${d.probe.from} → ${d.probe.target} failed*\n${d.diagnosis.text}`),
    ],
  };
}

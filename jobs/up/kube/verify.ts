// The end-to-end proof: from every cluster's netshoot, ping every other cluster's service and pod 0 by name.
// A failure is a plain Error (retried: federation may need a moment more), with the diagnosis in its message.
import { type Deps, kubePollMs } from '../../../src/deps.ts';
import { WaitTimeoutError } from '../../../src/errors.ts';
import { otherClusters, podDnsName, statefulSetName } from '../../../src/mesh/kube/names.ts';
import { diagnose } from '../../../src/mesh/ping/diagnose.ts';
import { pingCell } from '../../../src/mesh/ping/parse.ts';
import { type PingProbe, pingFrom } from '../../../src/mesh/ping/probe.ts';
import { renderTable } from '../../../src/mesh/ping/table.ts';
import { recordVerifiedPaths } from '../../../src/metrics/mesh-health.ts';
import { type LeafStep, leaf } from '../../../src/steps/step.ts';
import { waitFor } from '../../../src/steps/wait.ts';

export const VERIFY_TIMEOUT_MS = 2 * 60_000;

/** Rows: from; columns: each cluster's service and pod 0. */
export function renderVerifyMatrix(clusters: string[], probes: PingProbe[]): string {
  const columns = clusters.flatMap((c) => [statefulSetName(c), podDnsName(c, 0)]);
  const rows = clusters.map((from) => [
    from,
    ...columns.map((t) => {
      const p = probes.find((x) => x.from === from && x.target === t);
      return p ? pingCell(p.result) : '-';
    }),
  ]);
  return renderTable(['from \\ to', ...columns], rows);
}

export function verifyStep(deps: Deps): LeafStep {
  const names = deps.spec.clusters.map((c) => c.name);
  return leaf(
    'verify/ping',
    `ping across the mesh: from each netshoot to every other cluster's service and pod 0 (${names.join(', ')})`,
    async (ctx) => {
      const pairs = deps.spec.clusters.flatMap((from) =>
        otherClusters(deps, from).flatMap((to) => [
          { from, to: to.name, target: statefulSetName(to.name) },
          { from, to: to.name, target: podDnsName(to.name, 0) },
        ]),
      );
      // Fresh endpoints can take a moment to reach every cluster's DNS: ping again (bounded) before judging.
      let probes: PingProbe[] = [];
      try {
        await waitFor(ctx, {
          what: 'every ping to answer',
          intervalMs: kubePollMs(deps),
          timeoutMs: VERIFY_TIMEOUT_MS,
          poll: async () => {
            probes = await Promise.all(pairs.map((p) => pingFrom(deps, p.from, p.to, p.target)));
            const failed = probes.filter((p) => !p.result.ok);
            const failing = failed.length
              ? `; failing: ${failed.map((f) => `${f.from} -> ${f.target}`).join(', ')}`
              : '';
            return {
              done: failed.length === 0,
              status: `${probes.length - failed.length}/${probes.length} answered${failing}`,
            };
          },
        });
      } catch (err) {
        if (!(err instanceof WaitTimeoutError)) throw err;
      }
      const matrix = renderVerifyMatrix(names, probes);
      const failed = probes.filter((p) => !p.result.ok);
      if (failed.length) {
        const why = await diagnose(deps, failed[0]).then(
          (d) => d.text,
          (err: Error) => `(diagnosis failed: ${err.message})`,
        );
        throw new Error(`${failed.length} of ${probes.length} pings failed\n${matrix}\n\n${why}`);
      }
      // Pod 0's pings per ordered pair: the gauges' values now, and the watch's RTT baselines.
      const pod0 = probes.filter((p) => p.target === podDnsName(p.to, 0));
      recordVerifiedPaths(
        deps.spec.name,
        pod0.map((p) => ({
          from: p.from,
          to: p.to,
          packetLoss: p.result.lossPercent / 100,
          ...(p.result.rttMs ? { rttSeconds: p.result.rttMs.avg / 1000 } : {}),
        })),
      );
      const avg = probes.map((p) => p.result.rttMs?.avg ?? 0);
      const rtt = `${Math.min(...avg).toFixed(1)}-${Math.max(...avg).toFixed(1)} ms`;
      return {
        summary: `${probes.length}/${probes.length} pings answered across ${names.join(', ')} (RTT ${rtt})`,
        changed: false,
        excerpt: matrix,
      };
    },
  );
}

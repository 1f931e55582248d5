// `/mesh status`: every region and cluster read side by side; an unreachable one is a failing line, not a
// failed command. `--wait` polls (bounded) until everything is ok, then says what still is not.
import { memoizeReads } from '../../src/aws/memo.ts';
import { costOfObserved, loadPrices } from '../../src/cost.ts';
import type { Deps } from '../../src/deps.ts';
import { errorMessage } from '../../src/errors.ts';
import { recordMeshHealth } from '../../src/metrics/mesh-health.ts';
import type { JobResult } from '../../src/queue/job-types.ts';
import type { JobContext } from '../../src/queue/worker.ts';
import { observeAws, observeBilled } from './aws.ts';
import { meshHealthOf } from './health.ts';
import { observeKube } from './kube.ts';
import { attachTopology } from './picture.ts';
import { isAllOk, renderClusters, verdict } from './render.ts';
import type { ClusterStatus } from './types.ts';

export async function collectStatus(deps: Deps): Promise<ClusterStatus[]> {
  return Promise.all(
    deps.spec.clusters.map(async (cluster): Promise<ClusterStatus> => {
      const [aws, kube] = await Promise.all([
        observeAws(deps, cluster).catch((err: unknown) => [
          {
            health: 'failing' as const,
            subject: `AWS ${cluster.region}`,
            detail: `could not read: ${errorMessage(err)}`,
          },
        ]),
        observeKube(deps, cluster).catch((err: unknown) => [
          { health: 'failing' as const, subject: 'Kubernetes API', detail: `unreachable: ${errorMessage(err)}` },
        ]),
      ]);
      return { cluster: cluster.name, region: cluster.region, aws, kube };
    }),
  );
}

export const STATUS_WAIT_TIMEOUT_MS = 10 * 60 * 1000;

export async function statusJob(deps: Deps, ctx: JobContext, wait: boolean): Promise<JobResult> {
  // Each pass reads each AWS answer once, however many clusters (and the cost) ask for it.
  const pass = (): Deps => ({ ...deps, aws: memoizeReads(deps.aws) });
  let passDeps = pass();
  let clusters = await collectStatus(passDeps);
  if (wait) {
    const started = deps.clock.now();
    while (!isAllOk(clusters) && deps.clock.now() - started < STATUS_WAIT_TIMEOUT_MS) {
      const v = verdict(deps.spec.name, clusters);
      if (v.state === 'none') break;
      ctx.reporter.note(`waiting for every check to be ok: ${v.headline.replace(/\*/g, '')}`);
      await ctx.checkpoint();
      await deps.clock.sleep(deps.pollIntervalMs, ctx.signal);
      passDeps = pass();
      clusters = await collectStatus(passDeps);
    }
  }
  const v = verdict(deps.spec.name, clusters);
  const billed = v.state === 'none' ? undefined : await hourlyCost(passDeps);
  const cost = billed?.text;
  if (v.state !== 'none') {
    const health = meshHealthOf(passDeps, clusters, billed?.dollars);
    recordMeshHealth(health);
    await attachTopology(ctx, health);
  }
  const waited =
    wait && !isAllOk(clusters) && v.state !== 'none'
      ? `\nStill not ok after waiting ${Math.round(STATUS_WAIT_TIMEOUT_MS / 60000)} min (see the lines below).`
      : '';
  const anyFailing = clusters.some((c) => [...c.aws, ...c.kube].some((l) => l.health === 'failing'));
  const verdictIcon = v.state === 'healthy' ? 'ok' : anyFailing ? 'failing' : 'warning';
  return {
    ok: true,
    summary: `${v.headline}${waited}${cost ? `\n${cost}` : ''}`,
    details: v.state === 'none' ? [] : renderClusters(clusters),
    verdict: verdictIcon,
  };
}

/** What is running now costs, from what is observed (not from the spec). */
async function hourlyCost(deps: Deps): Promise<{ text: string; dollars?: number }> {
  try {
    const b = costOfObserved(await observeBilled(deps), await loadPrices());
    const text = `Running now: about *$${b.totalHourly.toFixed(2)}/hour* (≈ $${b.totalMonthly.toFixed(0)}/month; per-GB traffic not included).`;
    return { text, dollars: b.totalHourly };
  } catch (err) {
    return { text: `Hourly cost unknown: ${errorMessage(err)}` };
  }
}

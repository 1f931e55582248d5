// `/mesh scale CLUSTER N` as a job: one step (patch, wait Ready, wait until every other cluster sees the pods
// as federated endpoints), serialized with up and down by the queue it runs on.
import type { Deps } from '../src/deps.ts';
import { PermanentError } from '../src/errors.ts';
import { statefulSetName } from '../src/mesh/kube/names.ts';
import type { JobResult } from '../src/queue/job-types.ts';
import type { JobContext } from '../src/queue/worker.ts';
import { runPlanJob } from './run-plan.ts';
import { scaleStep } from './scale.ts';

export async function scaleJob(deps: Deps, ctx: JobContext, clusterName: string, replicas: number): Promise<JobResult> {
  const cluster = deps.spec.clusters.find((c) => c.name === clusterName);
  if (!cluster) {
    throw new PermanentError(
      `no cluster "${clusterName}" in mesh ${deps.spec.name}; clusters: ${deps.spec.clusters.map((c) => c.name).join(', ')}`,
    );
  }
  const step = scaleStep(deps, cluster, replicas);
  const run = await runPlanJob(ctx, deps.clock, step, {
    heading: `Scaling ${statefulSetName(clusterName)} to ${replicas}:`,
  });
  const result = run.report!.results[0];
  const outcome = result?.status === 'done' ? result.outcome : undefined;
  return {
    ok: true,
    summary: outcome?.summary ?? `${statefulSetName(clusterName)} scaled to ${replicas}`,
    details: outcome?.excerpt ? [outcome.excerpt] : [],
  };
}

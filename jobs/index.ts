// The worker's table of jobs. Job modules load on first use: a web-only process never loads the AWS and
// Kubernetes code, and a worker starts fast.
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { Deps } from '../src/deps.ts';
import type { JobName } from '../src/queue/job-types.ts';
import type { JobContext, JobHandler } from '../src/queue/worker.ts';
import type { WatchControl } from '../src/watch/schedule.ts';
import type { ObserveMesh } from './watch.ts';

/** The watch's observation: status's own pass (lines, verdict, the mesh as numbers, pings included). */
export const observeMesh: ObserveMesh = async (deps) => {
  const [{ collectStatus }, { meshHealthOf }, { verdict }, { memoizeReads }] = await Promise.all([
    import('./status/index.ts'),
    import('./status/health.ts'),
    import('./status/render.ts'),
    import('../src/aws/memo.ts'),
  ]);
  // As status does: each AWS answer is read once per pass, however many clusters ask for it.
  const pass: Deps = { ...deps, aws: memoizeReads(deps.aws) };
  const clusters = await collectStatus(pass);
  const v = verdict(deps.spec.name, clusters);
  if (v.state === 'none') return { clusters, verdict: v };
  return { clusters, verdict: v, health: meshHealthOf(pass, clusters) };
};

/** The watch's pass, for the worker role's watch worker (src/watch/worker.ts). */
export function makeWatchPass(
  getDeps: () => Promise<Deps>,
  watch: WatchControl,
  slack: WebClient,
  onIncidentChange?: () => void,
): (log: Logger) => Promise<void> {
  return async (log) => {
    const { watchPass } = await import('./watch.ts');
    await watchPass(await getDeps(), { watch, slack, observe: observeMesh, log, onIncidentChange });
  };
}

/**
 * Loads what jobs run on, once, before the first job: the AWS and Kubernetes clients and the job modules. Else the
 * first `/mesh up` after a start spends about 0.6 s (here) loading them before it observes anything.
 */
export async function preloadJobs(getDeps: () => Promise<Deps>): Promise<void> {
  await Promise.all([getDeps(), import('./up/index.ts'), import('./status/index.ts'), import('./down/index.ts')]);
}

export function makeHandlers(getDeps: () => Promise<Deps>, watch?: WatchControl): Record<JobName, JobHandler> {
  const cmd = <K extends JobContext['data']['command']['kind']>(ctx: JobContext, kind: K) => {
    const c = ctx.data.command;
    if (c.kind !== kind) throw new Error(`job ${ctx.data.name} carries a ${c.kind} command`);
    return c as Extract<JobContext['data']['command'], { kind: K }>;
  };
  return {
    status: async (ctx) => {
      const { statusJob } = await import('./status/index.ts');
      const deps = await getDeps();
      const result = await statusJob(deps, ctx, cmd(ctx, 'status').wait);
      if (!watch) return result;
      const { syncedFor } = await import('./watch-job.ts');
      const line = syncedFor(await watch.store.passes().catch(() => []), deps.clock.now());
      return line ? { ...result, summary: `${result.summary}\n${line}` } : result;
    },
    up: async (ctx) => {
      const deps = await getDeps();
      const c = cmd(ctx, 'up');
      const result = await (await import('./up/index.ts')).upJob(deps, ctx, c.dryRun);
      if (!watch || c.dryRun) return result;
      return (await import('./watch-job.ts')).afterUp(deps, ctx, watch, result);
    },
    watch: async (ctx) => {
      if (!watch) throw new Error('this worker runs no watch');
      return (await import('./watch-job.ts')).watchJob(await getDeps(), ctx, watch, cmd(ctx, 'watch'));
    },
    'up-plan': async (ctx) => (await import('./up/index.ts')).upPlanJob(await getDeps(), ctx),
    'down-preview': async (ctx) => (await import('./down/index.ts')).downPreviewJob(await getDeps(), ctx),
    down: async (ctx) => {
      const result = await (await import('./down/index.ts')).downJob(await getDeps(), ctx);
      // Nothing left to watch: no passes until the next up.
      if (result.ok) await watch?.pause().catch((err: unknown) => ctx.log.warn({ err }, 'could not pause the watch'));
      return result;
    },
    scale: async (ctx) => {
      const c = cmd(ctx, 'scale');
      return (await import('./scale-job.ts')).scaleJob(await getDeps(), ctx, c.cluster, c.replicas);
    },
    ping: async (ctx) => {
      const c = cmd(ctx, 'ping');
      return (await import('./ping-job.ts')).pingJob(await getDeps(), ctx, c.from, c.target);
    },
  };
}

// The worker's table of jobs. Job modules load on first use: a web-only process never loads the AWS and
// Kubernetes code, and a worker starts fast.
import type { Deps } from '../src/deps.ts';
import type { PathProbe } from '../src/metrics/mesh-health.ts';
import type { JobName } from '../src/queue/job-types.ts';
import type { JobContext, JobHandler } from '../src/queue/worker.ts';

export function makeHandlers(getDeps: () => Promise<Deps>): Record<JobName, JobHandler> {
  const cmd = <K extends JobContext['data']['command']['kind']>(ctx: JobContext, kind: K) => {
    const c = ctx.data.command;
    if (c.kind !== kind) throw new Error(`job ${ctx.data.name} carries a ${c.kind} command`);
    return c as Extract<JobContext['data']['command'], { kind: K }>;
  };
  return {
    status: async (ctx) => {
      const [{ statusJob }, { pingTargets }, { pingFrom }] = await Promise.all([
        import('./status/index.ts'),
        import('./ping.ts'),
        import('../src/mesh/ping/probe.ts'),
      ]);
      const deps = await getDeps();
      // Status's gauges and picture ping each pair the way /mesh ping does: from netshoot to the pod 0.
      const probe: PathProbe = async (from, to) => {
        const [target] = await pingTargets(deps, from, { kind: 'pod', cluster: to, ordinal: 0 });
        return (await pingFrom(deps, from, to, target.name)).result;
      };
      return statusJob(deps, ctx, cmd(ctx, 'status').wait, probe);
    },
    up: async (ctx) => (await import('./up/index.ts')).upJob(await getDeps(), ctx, cmd(ctx, 'up').dryRun),
    'up-plan': async (ctx) => (await import('./up/index.ts')).upPlanJob(await getDeps(), ctx),
    'down-preview': async (ctx) => (await import('./down/index.ts')).downPreviewJob(await getDeps(), ctx),
    down: async (ctx) => (await import('./down/index.ts')).downJob(await getDeps(), ctx),
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

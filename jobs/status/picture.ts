// Attaches the topology picture of a status pass to the job's thread. The renderer (a native module) loads on
// first use, so jobs that draw nothing never load it; a picture that fails is a log line, never a failed status.
import type { MeshHealth } from '../../src/metrics/mesh-health.ts';
import type { JobContext } from '../../src/queue/worker.ts';

export async function attachTopology(ctx: Pick<JobContext, 'reporter' | 'log'>, health: MeshHealth): Promise<void> {
  try {
    const { topologyPng } = await import('../../src/topology/png.ts');
    const { png } = topologyPng(health);
    await ctx.reporter.attach(
      png,
      `topology-${health.mesh}.png`,
      'The mesh at this status pass: boxes are regions, arrows federation.',
    );
  } catch (err) {
    ctx.log.warn({ err }, 'could not draw the topology picture');
  }
}

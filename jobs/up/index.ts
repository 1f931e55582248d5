// `/mesh up`: post the plan with what exists and the hourly cost and wait for an admin's Apply (upPlanJob); then,
// or at once with `--confirm`, build what is missing (upJob). Every step observes before it acts, so a second run
// continues where the first stopped and creates nothing twice.
import { memoizeReads } from '../../src/aws/memo.ts';
import { eksClusterName } from '../../src/aws/tags.ts';
import { estimateHourlyCost, formatCost, loadPrices } from '../../src/cost.ts';
import type { Deps } from '../../src/deps.ts';
import { extendedAtCreate } from '../../src/mesh/aws/versions.ts';
import type { JobResult } from '../../src/queue/job-types.ts';
import type { JobContext } from '../../src/queue/worker.ts';
import { expiredOutcome, postApplyConfirmation } from '../../src/slack/apply-confirm.ts';
import { CONFIRM_TTL_MS } from '../../src/slack/down-confirm.ts';
import { codeBlock } from '../../src/slack/format.ts';
import { isSettled } from '../../src/steps/plan-text.ts';
import { leaves } from '../../src/steps/step.ts';
import { formatDuration } from '../../src/steps/wait.ts';
import { runPlanJob, timingTable } from '../run-plan.ts';
import { planUp } from './plan.ts';

export function kubeconfigCommands(deps: Deps): string {
  return deps.spec.clusters
    .map(
      (c) =>
        `aws eks update-kubeconfig --region ${c.region} --name ${eksClusterName(deps.spec.name, c.name)} --alias ${c.name}`,
    )
    .join('\n');
}

/** The cost lines of the spec once up, each cluster priced by the support status of the version it will run. */
async function hourlyCost(deps: Deps): Promise<string> {
  const [prices, extended] = await Promise.all([loadPrices(), extendedAtCreate(deps)]);
  return formatCost(estimateHourlyCost(deps.spec, prices, extended));
}

export async function upJob(deps: Deps, ctx: JobContext, dryRun: boolean): Promise<JobResult> {
  const plan = planUp(deps);
  // The cost asks EKS for its versions as the control plane's observation does: one answer for both.
  const reads = memoizeReads(deps.aws);
  const observing = planUp({ ...deps, aws: reads });
  const cost = hourlyCost({ ...deps, aws: reads });
  const total = leaves(plan).length;
  const run = await runPlanJob(ctx, deps.clock, plan, {
    heading: dryRun
      ? `*Dry run*: the plan for mesh *${deps.spec.name}* (${total} steps). Nothing will be changed.`
      : `The plan for mesh *${deps.spec.name}* (${total} steps):`,
    extra: cost.then((c) => `Estimated cost once up:\n${codeBlock(c)}`),
    dryRun,
    observing,
  });
  if (dryRun) {
    const missing = [...run.observed.values()].filter((o) => !isSettled(o)).length;
    return {
      ok: true,
      summary: run.alreadyDone
        ? `Dry run: mesh *${deps.spec.name}* is complete; \`/mesh up\` would change nothing.`
        : `Dry run: \`/mesh up\` would create or complete ${missing} of ${total} steps (plan in the thread). Nothing was changed.`,
    };
  }
  const report = run.report!;
  const changed = report.results.filter((r) => r.status === 'done' && r.outcome.changed).length;
  const headline =
    changed === 0
      ? `Mesh *${deps.spec.name}* was already up: nothing changed (${total} steps checked), and every ping answered.`
      : `Mesh *${deps.spec.name}* is up and verified in ${formatDuration(report.ms)}: ${changed} of ${total} steps changed something; every cross-cluster ping answered.`;
  return {
    ok: true,
    summary: headline,
    details: [
      `*Time per step*\n${codeBlock(timingTable(report))}`,
      `*kubectl access* (your own AWS credentials):\n${codeBlock(kubeconfigCommands(deps))}`,
      `*Cost*\n${codeBlock(await cost)}`,
    ],
  };
}

/**
 * `/mesh up` without `--confirm`: observes (changes nothing), posts the plan, and when something is to be done a
 * message with Apply and Cancel that expires on its own (a delayed job edits it then). A complete mesh asks nothing.
 */
export async function upPlanJob(deps: Deps, ctx: JobContext): Promise<JobResult> {
  const plan = planUp(deps);
  const reads = memoizeReads(deps.aws);
  const observing = planUp({ ...deps, aws: reads });
  const cost = hourlyCost({ ...deps, aws: reads });
  const steps = leaves(plan);
  const run = await runPlanJob(ctx, deps.clock, plan, {
    heading: `The plan for mesh *${deps.spec.name}* (${steps.length} steps): nothing changes until an admin presses *Apply*.`,
    extra: cost.then((c) => `Estimated cost once up:\n${codeBlock(c)}`),
    dryRun: true,
    observing,
  });
  // A step that cannot observe only checks (the cross-cluster pings): it changes nothing, so it asks nothing.
  const todo = steps.filter((s) => s.observe && !isSettled(run.observed.get(s.id))).map((s) => s.title);
  if (todo.length === 0) {
    return {
      ok: true,
      summary: `Mesh *${deps.spec.name}* is complete: \`/mesh up\` would change nothing (${steps.length} steps checked), so there is nothing to apply.`,
    };
  }
  const ttlMs = deps.confirmTtlMs ?? CONFIRM_TTL_MS;
  const posted = await postApplyConfirmation(ctx.slack, ctx.data.channelId, {
    mesh: deps.spec.name,
    todo,
    total: steps.length,
    cost: await cost,
    now: Date.now(),
    ttlMs,
  });
  await ctx.timers.expireConfirmation({
    kind: 'up',
    nonce: posted.nonce,
    channel: ctx.data.channelId,
    ts: posted.ts,
    exp: posted.exp,
    outcome: expiredOutcome(deps.spec.name, posted.exp),
    kept: posted.kept,
  });
  return {
    ok: true,
    summary: `Plan posted below: ${todo.length} of ${steps.length} steps to create or repair. An admin presses *Apply* to run it (or \`/mesh up --confirm ${deps.spec.name}\`). Nothing was changed yet.`,
  };
}

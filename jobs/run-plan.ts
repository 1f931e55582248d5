// Runs a job's plan with the thread as its voice: observe, post the plan, run the steps with live progress, and
// turn the first failure into an error that names the step.
import { CancelledError, PermanentError, errorMessage } from '../src/errors.ts';
import { ShuttingDown, type JobContext } from '../src/queue/worker.ts';
import { observePlan, renderPlan, nothingToDo, type Observations } from '../src/steps/plan-text.ts';
import { runPlan, type RunReport } from '../src/steps/runner.ts';
import { leaves, type Step, type StepContext } from '../src/steps/step.ts';
import type { Clock } from '../src/clock.ts';

export function stepContextOf(ctx: JobContext, clock: Clock): StepContext {
  return { signal: ctx.signal, log: ctx.log, clock, note: (m) => ctx.reporter.note(m), checkpoint: ctx.checkpoint };
}

export interface PlanRun {
  observed: Observations;
  report?: RunReport;
  /** Every leaf already existed when observed. */
  alreadyDone: boolean;
}

/** A step failure keeps its kind (permanent or not) so the worker knows whether to retry. */
export class StepFailedError extends Error {
  readonly stepTitle: string;
  constructor(stepTitle: string, cause: unknown) {
    super(`${stepTitle}: ${errorMessage(cause)}`, { cause });
    this.name = 'StepFailedError';
    this.stepTitle = stepTitle;
  }
}

export async function runPlanJob(
  ctx: JobContext,
  clock: Clock,
  plan: Step,
  opts: { heading: string; extra?: string; dryRun?: boolean },
): Promise<PlanRun> {
  const sctx = stepContextOf(ctx, clock);
  ctx.reporter.note('observing what exists');
  const observed = await observePlan(plan, sctx);
  const alreadyDone = nothingToDo(plan, observed);
  const planText = renderPlan(plan, observed);
  await ctx.reporter.reply(`${opts.heading}${opts.extra ? `\n${opts.extra}` : ''}`, planText, 'plan.txt');
  if (opts.dryRun) return { observed, alreadyDone };

  ctx.reporter.setTotal(leaves(plan).length);
  const report = await runPlan(plan, {
    signal: ctx.signal,
    log: ctx.log,
    clock,
    checkpoint: ctx.checkpoint,
    listener: {
      started: (step) => ctx.reporter.stepStarted(step.title),
      note: (_step, message) => ctx.reporter.note(message),
      finished: (step, outcome, ms) =>
        ctx.reporter.stepFinished(step.title, outcome.changed ? outcome.summary : `already in place: ${outcome.summary}`, ms, outcome.excerpt, { changed: outcome.changed }),
      failed: (step, error, ms) => {
        if (!(error instanceof CancelledError || error instanceof ShuttingDown)) ctx.reporter.stepFailed(step.title, errorMessage(error), ms);
      },
    },
  });
  if (!report.ok && report.failure) {
    const { step, error } = report.failure;
    // Cancel and shutdown surface as they are; the worker handles them.
    if (error instanceof CancelledError || error instanceof ShuttingDown) throw error;
    if (error instanceof PermanentError) {
      throw new PermanentError(`step "${step.title}" failed: ${error.message}`, { code: error.code, hint: error.hint, cause: error });
    }
    throw new StepFailedError(step.title, error);
  }
  return { observed, report, alreadyDone };
}

/** Elapsed time per step, for the summary. */
export function timingTable(report: RunReport): string {
  const rows = report.results.map((r) => {
    const ms = r.status === 'not-run' ? 0 : r.ms;
    const changed = r.status === 'done' ? (r.outcome.changed ? 'changed' : 'unchanged') : r.status;
    return `${(ms / 1000).toFixed(1).padStart(7)} s  ${changed.padEnd(9)}  ${r.title}`;
  });
  return rows.join('\n');
}

// Runs a job's plan with the thread as its voice: observe, post the plan, run the steps with live progress, and
// turn the failures into one error that names every failed step.
import type { Clock } from '../src/clock.ts';
import { CancelledError, errorMessage, PermanentError } from '../src/errors.ts';
import { type JobContext, ShuttingDown } from '../src/queue/worker.ts';
import { nothingToDo, type Observations, observePlan, renderPlan } from '../src/steps/plan-text.ts';
import { PlanFailedError, type RunReport, runPlan, type StepFailure } from '../src/steps/runner.ts';
import { leaves, type Observation, type Step, type StepContext, type UnchangedVerb } from '../src/steps/step.ts';

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
  // `extra` may still be in the making (the cost reads EKS's versions): it is read side by side with the observing.
  // `observing`: the same plan on clients that read each AWS answer once (memoizeReads): every leaf observes at
  // once, and many ask the same Describe (each cluster's steps describe it).
  opts: { heading: string; extra?: string | Promise<string>; dryRun?: boolean; observing?: Step },
): Promise<PlanRun> {
  const sctx = stepContextOf(ctx, clock);
  ctx.reporter.note('observing what exists');
  const [observed, extra] = await Promise.all([observePlan(opts.observing ?? plan, sctx), opts.extra]);
  ctx.log.debug({ leaves: observed.size }, 'plan observed');
  const alreadyDone = nothingToDo(plan, observed);
  const planText = renderPlan(plan, observed);
  await ctx.reporter.reply(`${opts.heading}${extra ? `\n${extra}` : ''}`, planText, 'plan.txt');
  ctx.log.debug('plan posted');
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
        ctx.reporter.stepFinished(step.title, outcome.summary, ms, outcome.excerpt, {
          changed: outcome.changed,
          unchanged: unchangedVerb(observed.get(step.id)),
        }),
      failed: (step, error, ms) => {
        if (!(error instanceof CancelledError || error instanceof ShuttingDown))
          ctx.reporter.stepFailed(step.title, errorMessage(error), ms);
      },
    },
  });
  if (!report.ok) throw failureOf(report.failures);
  return { observed, report, alreadyDone };
}

/**
 * One error for the worker: a cancel or shutdown as it is (the worker handles them); one failed step by name; or
 * several (siblings of a parallel group) all listed. Any permanent failure makes the whole permanent: a retry
 * would meet it again.
 */
function failureOf(failures: StepFailure[]): Error {
  const stop = failures.find((f) => f.error instanceof CancelledError || f.error instanceof ShuttingDown);
  if (stop) return stop.error as Error;
  const permanent = failures.map((f) => f.error).filter((e): e is PermanentError => e instanceof PermanentError);
  if (failures.length === 1) {
    const { step, error } = failures[0]!;
    if (error instanceof PermanentError) {
      return new PermanentError(`step "${step.title}" failed: ${error.message}`, {
        code: error.code,
        hint: error.hint,
        cause: error,
      });
    }
    return new StepFailedError(step.title, error);
  }
  const all = new PlanFailedError(failures);
  if (permanent.length === 0) return all;
  const hints = [...new Set(permanent.flatMap((e) => (e.hint ? [e.hint] : [])))];
  return new PermanentError(all.message, { code: permanent[0]!.code, hint: hints.join('\n') || undefined, cause: all });
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

/**
 * What a step that changed nothing did, by what it had observed: found its resource in place, found nothing left
 * to delete, or waited for / verified something (a wait or a check has nothing "in place" to report).
 */
function unchangedVerb(observed: Observation | undefined): UnchangedVerb {
  if (observed?.state === 'gone') return 'gone';
  if (observed === undefined || observed.state === 'wait') return 'checked';
  return 'in place';
}

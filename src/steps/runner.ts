// Runs a plan tree: sequential groups stop at the first failure; parallel groups let every sibling finish (at most
// `limit` at once when the group sets one), then report all their errors (eksctl's semantics). Every leaf start is
// a safe point for cancel and shutdown. A step with `after` starts once those steps (anywhere in the tree) have
// finished; when one of them fails or never runs, it does not run either.
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { errorMessage } from '../errors.ts';
import type { GroupStep, LeafStep, Step, StepContext, StepOutcome } from './step.ts';
import { allSteps, checkOrder, leaves } from './step.ts';

export type LeafResult =
  | { id: string; title: string; status: 'done'; outcome: StepOutcome; ms: number }
  | { id: string; title: string; status: 'failed'; error: unknown; ms: number }
  | { id: string; title: string; status: 'not-run' };

export interface RunListener {
  started?(step: LeafStep, index: number, total: number): void;
  finished?(step: LeafStep, outcome: StepOutcome, ms: number): void;
  failed?(step: LeafStep, error: unknown, ms: number): void;
  note?(step: LeafStep, message: string): void;
}

export interface RunOptions {
  signal: AbortSignal;
  log: Logger;
  clock: Clock;
  /** Throws (CancelledError, or a shutdown error) when the job must stop at this safe point. */
  checkpoint: () => Promise<void>;
  listener?: RunListener;
}

export interface StepFailure {
  step: LeafStep;
  error: unknown;
}

export interface RunReport {
  ok: boolean;
  results: LeafResult[];
  /** Every error of the run, in the order they happened, each with the step it came from. */
  failures: StepFailure[];
  /** The first of `failures`. */
  failure?: StepFailure;
  ms: number;
}

/** Several steps failed (siblings of a parallel group): the message names each step and its error. */
export class PlanFailedError extends Error {
  readonly failures: StepFailure[];
  constructor(failures: StepFailure[]) {
    super(
      `${failures.length} steps failed:\n${failures.map((f) => `• ${f.step.title}: ${errorMessage(f.error)}`).join('\n')}`,
    );
    this.name = 'PlanFailedError';
    this.failures = failures;
  }
}

/** A step waited for another (its `after`) that failed or did not run: it is not run, and is no failure itself. */
class NotRun extends Error {}

interface Finish {
  promise: Promise<void>;
  settle(error?: unknown): void;
}

function finishOf(): Finish {
  let settled = false;
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {}); // awaited only by the steps that wait for it
  return {
    promise,
    settle(error) {
      if (settled) return;
      settled = true;
      if (error === undefined) resolve();
      else reject(error);
    },
  };
}

export async function runPlan(root: Step, opts: RunOptions): Promise<RunReport> {
  checkOrder(root);
  const all = leaves(root);
  const finished = new Map(allSteps(root).map((s) => [s.id, finishOf()]));
  // A step that will not run (its sequence stopped before it) lets whoever waits for it go on, as not run.
  const skip = (step: Step) => {
    for (const s of allSteps(step)) finished.get(s.id)!.settle(new NotRun(`${s.id} did not run`));
  };
  const results = new Map<string, LeafResult>(all.map((l) => [l.id, { id: l.id, title: l.title, status: 'not-run' }]));
  const errors: Array<{ step: LeafStep; error: unknown }> = [];
  const started = opts.clock.now();
  let index = 0;

  const runLeaf = async (step: LeafStep): Promise<void> => {
    await opts.checkpoint();
    const t0 = opts.clock.now();
    opts.listener?.started?.(step, ++index, all.length);
    const ctx: StepContext = {
      signal: opts.signal,
      log: opts.log.child({ step: step.id }),
      clock: opts.clock,
      note: (message) => opts.listener?.note?.(step, message),
      checkpoint: opts.checkpoint,
    };
    ctx.log.debug('step started');
    try {
      const outcome = await step.run(ctx);
      const ms = opts.clock.now() - t0;
      ctx.log.debug({ ms, changed: outcome.changed }, 'step done');
      results.set(step.id, { id: step.id, title: step.title, status: 'done', outcome, ms });
      opts.listener?.finished?.(step, outcome, ms);
    } catch (error) {
      const ms = opts.clock.now() - t0;
      results.set(step.id, { id: step.id, title: step.title, status: 'failed', error, ms });
      errors.push({ step, error });
      opts.listener?.failed?.(step, error, ms);
      throw error;
    }
  };

  const run = async (step: Step): Promise<void> => {
    const done = finished.get(step.id)!;
    try {
      if (step.after?.length) {
        await Promise.all(step.after.map((id) => finished.get(id)!.promise)).catch((cause: unknown) => {
          throw new NotRun(`${step.id} waits for a step that did not finish`, { cause });
        });
      }
      await runStep(step);
      done.settle();
    } catch (error) {
      done.settle(error);
      skip(step);
      throw error;
    }
  };

  const runStep = async (step: Step): Promise<void> => {
    if (step.kind === 'leaf') return runLeaf(step);
    if (step.kind === 'sequential') {
      for (const child of step.children) await run(child);
      return;
    }
    const settled = await runSideBySide(step);
    const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (rejected) throw rejected.reason;
  };

  // Children start in order, at most `limit` at a time; a failed child frees its lane for the next one.
  const runSideBySide = async (group: GroupStep): Promise<PromiseSettledResult<void>[]> => {
    const { children } = group;
    const settled: PromiseSettledResult<void>[] = [];
    let next = 0;
    const lane = async () => {
      while (next < children.length) {
        const i = next++;
        try {
          settled[i] = { status: 'fulfilled', value: await run(children[i]!) };
        } catch (reason) {
          settled[i] = { status: 'rejected', reason };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(group.limit ?? children.length, children.length) }, lane));
    return settled;
  };

  try {
    await run(root);
  } catch (error) {
    // A cancel or shutdown raised at a checkpoint belongs to no step: record it against the next one not run.
    if (errors.length === 0) {
      const next = all.find((l) => results.get(l.id)?.status === 'not-run') ?? all[all.length - 1]!;
      let cause = error;
      while (cause instanceof NotRun && cause.cause !== undefined) cause = cause.cause;
      errors.push({ step: next, error: cause });
    }
  }
  return {
    ok: errors.length === 0,
    results: all.map((l) => results.get(l.id)!),
    failures: errors,
    failure: errors[0],
    ms: opts.clock.now() - started,
  };
}

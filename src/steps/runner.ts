// Runs a plan tree: sequential groups stop at the first failure; parallel groups let every sibling finish, then
// report all their errors (eksctl's semantics). Every leaf start is a safe point for cancel and shutdown.
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { LeafStep, Step, StepContext, StepOutcome } from './step.ts';
import { leaves } from './step.ts';

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

export interface RunReport {
  ok: boolean;
  results: LeafResult[];
  /** The first error of the run, with the step it came from. */
  failure?: { step: LeafStep; error: unknown };
  ms: number;
}

export class PlanFailedError extends Error {
  readonly errors: Array<{ step: LeafStep; error: unknown }>;
  constructor(errors: Array<{ step: LeafStep; error: unknown }>) {
    super(errors.map((e) => `${e.step.title}: ${e.error instanceof Error ? e.error.message : String(e.error)}`).join('; '));
    this.name = 'PlanFailedError';
    this.errors = errors;
  }
}

export async function runPlan(root: Step, opts: RunOptions): Promise<RunReport> {
  const all = leaves(root);
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
    try {
      const outcome = await step.run(ctx);
      const ms = opts.clock.now() - t0;
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
    if (step.kind === 'leaf') return runLeaf(step);
    if (step.kind === 'sequential') {
      for (const child of step.children) await run(child);
      return;
    }
    const settled = await Promise.allSettled(step.children.map(run));
    const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (rejected) throw rejected.reason;
  };

  try {
    await run(root);
  } catch (error) {
    // A cancel or shutdown raised at a checkpoint belongs to no step: record it against the next one not run.
    if (errors.length === 0) {
      const next = all.find((l) => results.get(l.id)?.status === 'not-run') ?? all[all.length - 1]!;
      errors.push({ step: next, error });
    }
  }
  return {
    ok: errors.length === 0,
    results: all.map((l) => results.get(l.id)!),
    failure: errors[0],
    ms: opts.clock.now() - started,
  };
}

// A plan is a tree of steps (eksctl's task tree): leaves do work, groups run children in order or side by side.
// The same tree renders as a plan before anything runs and drives the run itself.
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';

/**
 * What a leaf found before acting: it shapes the plan's verb. `ok` (nothing to do), `missing` ("will create"),
 * `repair` ("will repair (reason)"), `delete` ("will delete"), `gone` (nothing left to delete), `wait` (a wait or
 * a verification: "will wait for ..."). `exists` and `partial` are the older names of `ok` and `repair`.
 */
export type Observation = {
  state: 'ok' | 'missing' | 'repair' | 'delete' | 'gone' | 'wait' | 'exists' | 'partial';
  detail?: string;
};

/** How a step that changed nothing reads in the thread: "already in place", "already gone" or "checked". */
export type UnchangedVerb = 'in place' | 'gone' | 'checked';

export interface StepOutcome {
  /** One line for the thread: what was done or found, with resource IDs and names. */
  summary: string;
  /** False when the step found everything already in place and changed nothing. */
  changed: boolean;
  /** A log excerpt worth showing (typha in-sync lines, ping output). Never secrets. */
  excerpt?: string;
  /** Resource IDs made or found, for the summary and tests. */
  resources?: Record<string, string>;
}

export interface StepContext {
  signal: AbortSignal;
  log: Logger;
  clock: Clock;
  /** A progress note while the step works or waits ("cluster iad: CREATING, 3m12s"). Throttled by the reporter. */
  note(message: string): void;
  /** Throws CancelledError when the job was cancelled: call it at safe points. */
  checkpoint(): Promise<void>;
}

export interface LeafStep {
  kind: 'leaf';
  id: string;
  title: string;
  observe?(ctx: StepContext): Promise<Observation>;
  run(ctx: StepContext): Promise<StepOutcome>;
}

export interface GroupStep {
  kind: 'sequential' | 'parallel';
  id: string;
  title: string;
  children: Step[];
  /** Parallel groups only: at most this many children run at once (say, to stay under an API's rate limit). */
  limit?: number;
}

export type Step = LeafStep | GroupStep;

export function leaf(id: string, title: string, run: LeafStep['run'], observe?: LeafStep['observe']): LeafStep {
  return { kind: 'leaf', id, title, run, observe };
}

export function sequential(id: string, title: string, children: Step[]): GroupStep {
  return { kind: 'sequential', id, title, children };
}

export function parallel(id: string, title: string, children: Step[], opts: { limit?: number } = {}): GroupStep {
  const { limit } = opts;
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) {
    throw new RangeError(`parallel group ${id}: limit must be a whole number of at least 1, got ${limit}`);
  }
  return limit === undefined
    ? { kind: 'parallel', id, title, children }
    : { kind: 'parallel', id, title, children, limit };
}

export function leaves(step: Step): LeafStep[] {
  return step.kind === 'leaf' ? [step] : step.children.flatMap(leaves);
}

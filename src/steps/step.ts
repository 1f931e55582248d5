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
  /** Ids of steps elsewhere in the tree that must finish first (a dependency across branches). */
  after?: string[];
  observe?(ctx: StepContext): Promise<Observation>;
  run(ctx: StepContext): Promise<StepOutcome>;
}

export interface GroupStep {
  kind: 'sequential' | 'parallel';
  id: string;
  title: string;
  children: Step[];
  /** Ids of steps elsewhere in the tree that must finish first (a dependency across branches). */
  after?: string[];
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

/**
 * The step, started only once every step named in `ids` has finished: a real dependency between branches of the
 * tree (this node group needs that cluster's NAT gateways), so that neither branch has to wait for all of the other.
 */
export function runsAfter<T extends Step>(ids: string[], step: T): T {
  return { ...step, after: [...(step.after ?? []), ...ids] };
}

/** Every step of the tree, groups included, parents before children. */
export function allSteps(step: Step): Step[] {
  return step.kind === 'leaf' ? [step] : [step, ...step.children.flatMap(allSteps)];
}

/**
 * Throws a RangeError when an `after` names no step of the tree, or when the tree's order and its `after`s together
 * would have a step wait for itself (a cycle: the run would never end). Ids must be unique.
 */
export function checkOrder(root: Step): void {
  const steps = allSteps(root);
  const ids = new Set<string>();
  for (const s of steps) {
    if (ids.has(s.id)) throw new RangeError(`plan ${root.id}: step id ${s.id} is used twice`);
    ids.add(s.id);
  }
  // What must happen before what: a step's start and end as nodes, the tree's order and the afters as edges.
  const before = new Map<string, string[]>();
  const edge = (from: string, to: string) => before.set(to, [...(before.get(to) ?? []), from]);
  for (const s of steps) {
    edge(`start ${s.id}`, `end ${s.id}`);
    for (const a of s.after ?? []) {
      if (!ids.has(a)) throw new RangeError(`plan ${root.id}: step ${s.id} waits for ${a}, which is not in the plan`);
      edge(`end ${a}`, `start ${s.id}`);
    }
    if (s.kind === 'leaf') continue;
    s.children.forEach((c, i) => {
      edge(`start ${s.id}`, `start ${c.id}`);
      edge(`end ${c.id}`, `end ${s.id}`);
      if (s.kind === 'sequential' && i > 0) edge(`end ${s.children[i - 1]!.id}`, `start ${c.id}`);
    });
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (node: string) => {
    if (state.get(node) === 'done') return;
    if (state.get(node) === 'visiting') throw new RangeError(`plan ${root.id}: ${node} would wait for itself`);
    state.set(node, 'visiting');
    for (const from of before.get(node) ?? []) visit(from);
    state.set(node, 'done');
  };
  for (const s of steps) visit(`end ${s.id}`);
}

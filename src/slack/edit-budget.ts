// The budget for progress edits. Slack counts chat.update per app and workspace (Tier 3, about 50 a minute), not
// per job or per process, so five jobs editing once a second each would be refused. This module is one process's
// budget: the shared one (shared-edit-budget.ts) keeps the bucket in Redis for every process of the app, and
// falls back to this one while Redis does not answer.

export interface EditBudget {
  /**
   * Takes one edit if the budget allows; otherwise how many ms until one is available. `force` takes it anyway
   * (a job's final state): the budget goes into debt, so that the progress edits after it wait longer instead.
   */
  take(now: number, force?: boolean): number | Promise<number>;
}

export interface BudgetRate {
  /** Edits a minute, steady (default 45: under Slack's 50 for Tier 3, with room for the app's other edits). */
  perMinute?: number;
  /** Edits at once before the steady rate applies; the debt forced edits may run up is as large. */
  burst?: number;
}

export const DEFAULT_EDITS_PER_MINUTE = 45;
export const DEFAULT_EDIT_BURST = 10;

/** One process's budget answers at once. */
export interface LocalEditBudget extends EditBudget {
  take(now: number, force?: boolean): number;
}

export function makeEditBudget(opts: BudgetRate = {}): LocalEditBudget {
  const perMs = (opts.perMinute ?? DEFAULT_EDITS_PER_MINUTE) / 60_000;
  const burst = opts.burst ?? DEFAULT_EDIT_BURST;
  let tokens = burst;
  let at = 0;
  return {
    take(now, force = false) {
      tokens = Math.min(burst, tokens + (at === 0 ? 0 : (now - at) * perMs));
      at = now;
      if (tokens >= 1 || force) {
        // The debt is bounded: a burst of final states (a status answering thousands who joined it) must not
        // hold every job's progress edits back for an hour; past the bound, Slack's own 429s pace the finals.
        tokens = Math.max(tokens - 1, -burst);
        return 0;
      }
      return Math.ceil((1 - tokens) / perMs);
    },
  };
}

/** A process's own budget: what a reporter uses when it is given none (tests, tools). */
export const processEditBudget: EditBudget = makeEditBudget();

/**
 * Waits for an edit from the budget, at most `maxWaitMs`: true when one was taken, false when none comes in time
 * (an edit that is only worth making soon, such as a place in line, is then left out).
 */
export async function editWithin(budget: EditBudget, maxWaitMs: number): Promise<boolean> {
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const wait = await budget.take(Date.now());
    if (wait === 0) return true;
    if (Date.now() + wait > deadline) return false;
    await new Promise((r) => setTimeout(r, wait).unref());
  }
}

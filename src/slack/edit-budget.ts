// One budget for progress edits for every job of this process: Slack counts chat.update per app and workspace
// (Tier 3, about 50 a minute), not per job, so five jobs editing once a second each would be refused. Jobs run in
// the worker role only (in single-process mode, its thread), so this module's one instance serves them all.

export interface EditBudget {
  /**
   * Takes one edit if the budget allows; otherwise how many ms until one is available. `force` takes it anyway
   * (a job's final state): the budget goes into debt, so that the progress edits after it wait longer instead.
   */
  take(now: number, force?: boolean): number;
}

export function makeEditBudget(opts: { perMinute?: number; burst?: number } = {}): EditBudget {
  const perMs = (opts.perMinute ?? 45) / 60_000;
  const burst = opts.burst ?? 10;
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

/** The process's budget: every reporter shares it unless a test gives one of its own. */
export const sharedEditBudget: EditBudget = makeEditBudget();

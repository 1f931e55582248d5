// The shared budget for progress edits: a burst of forced final states goes out, but the debt it leaves is
// bounded, so the progress edits after it wait seconds, not an hour.
import { expect, it } from 'vitest';
import { makeEditBudget } from '../../../src/slack/edit-budget.ts';

it('gives the burst, then paces edits at the rate per minute', () => {
  const budget = makeEditBudget({ perMinute: 60, burst: 2 });
  expect(budget.take(1000)).toBe(0);
  expect(budget.take(1000)).toBe(0);
  expect(budget.take(1000)).toBe(1000);
  expect(budget.take(2000)).toBe(0);
});

it('after thousands of forced finals, a progress edit waits for the bounded debt only', () => {
  const budget = makeEditBudget({ perMinute: 45, burst: 10 });
  for (let i = 0; i < 2500; i++) expect(budget.take(1000, true)).toBe(0);
  const wait = budget.take(1000);
  // From -10 tokens back to 1 at 45 a minute: about 15 s (unbounded, 2500 finals would mean about 55 minutes).
  expect(wait).toBeGreaterThan(10_000);
  expect(wait).toBeLessThanOrEqual(Math.ceil(11 / (45 / 60_000)));
  expect(budget.take(1000 + wait)).toBe(0);
});

import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/clock.ts';
import { CancelledError } from '../../../src/errors.ts';
import { renderPlan } from '../../../src/steps/plan-text.ts';
import { PlanFailedError, runPlan } from '../../../src/steps/runner.ts';
import { checkOrder, leaf, parallel, runsAfter, type Step, sequential } from '../../../src/steps/step.ts';

const log = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function recorder() {
  const events: string[] = [];
  const step = (id: string, ms = 0, fail = false) =>
    leaf(id, `step ${id}`, async () => {
      events.push(`start ${id}`);
      await sleep(ms);
      if (fail) throw new Error(`${id} broke`);
      events.push(`end ${id}`);
      return { summary: `${id} done`, changed: true };
    });
  return { events, step };
}

const run = (plan: Step, checkpoint = async () => {}) =>
  runPlan(plan, { signal: new AbortController().signal, log, clock: systemClock, checkpoint });

describe('running a plan', () => {
  it('runs parallel children side by side and sequential ones in order', async () => {
    const { events, step } = recorder();
    const plan = sequential('all', 'all', [parallel('p', 'both', [step('a', 30), step('b', 5)]), step('c')]);
    const report = await run(plan);
    expect(report.ok).toBe(true);
    expect(events).toEqual(['start a', 'start b', 'end b', 'end a', 'start c', 'end c']);
  });

  it('stops a sequence at the first failure and lets parallel siblings finish', async () => {
    const { events, step } = recorder();
    const plan = sequential('all', 'all', [parallel('p', 'both', [step('a', 0, true), step('b', 20)]), step('c')]);
    const report = await run(plan);
    expect(report.ok).toBe(false);
    expect(report.failure?.step.id).toBe('a');
    expect(events).toContain('end b');
    expect(events).not.toContain('start c');
    expect(report.results.find((r) => r.id === 'c')?.status).toBe('not-run');
  });

  it('stops at a safe point when cancelled, leaving later steps not run', async () => {
    const { step } = recorder();
    let calls = 0;
    const plan = sequential('all', 'all', [step('a'), step('b'), step('c')]);
    const report = await run(plan, async () => {
      if (++calls === 2) throw new CancelledError('cancelled by <@U1>');
    });
    expect(report.ok).toBe(false);
    expect(report.failure?.error).toBeInstanceOf(CancelledError);
    expect(report.results.map((r) => r.status)).toEqual(['done', 'not-run', 'not-run']);
  });

  it('renders the plan with what was observed', () => {
    const { step } = recorder();
    const plan = sequential('up', 'mesh up', [parallel('net', 'networks', [step('iad'), step('pdx')])]);
    const text = renderPlan(
      plan,
      new Map([
        ['iad', { state: 'exists' as const, detail: 'vpc-1' }],
        ['pdx', { state: 'missing' as const }],
      ]),
    );
    expect(text).toBe(
      'mesh up (1 in order)\n  networks (2 side by side)\n    • step iad: exists (vpc-1)\n    • step pdx: will create',
    );
  });
});

describe('a parallel group', () => {
  it('reports the error of every failed child, not only the first', async () => {
    const { events, step } = recorder();
    const plan = sequential('all', 'all', [
      parallel('p', 'three', [step('a', 5, true), step('b', 10), step('c', 0, true)]),
      step('d'),
    ]);
    const report = await run(plan);
    expect(report.ok).toBe(false);
    expect(report.failures.map((f) => [f.step.id, (f.error as Error).message])).toEqual([
      ['c', 'c broke'],
      ['a', 'a broke'],
    ]);
    expect(report.failure).toBe(report.failures[0]);
    expect(events).toContain('end b');
    expect(report.results.map((r) => r.status)).toEqual(['failed', 'done', 'failed', 'not-run']);
    expect(new PlanFailedError(report.failures).message).toBe('2 steps failed:\n• step c: c broke\n• step a: a broke');
  });

  it('runs at most `limit` children at once, in order, and every child even after one fails', async () => {
    let running = 0;
    let most = 0;
    const started: string[] = [];
    const child = (id: string, fail = false) =>
      leaf(id, `step ${id}`, async () => {
        started.push(id);
        most = Math.max(most, ++running);
        await sleep(5);
        running -= 1;
        if (fail) throw new Error(`${id} broke`);
        return { summary: `${id} done`, changed: true };
      });
    const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const report = await run(
      parallel(
        'p',
        'seven',
        ids.map((id) => child(id, id === 'b')),
        { limit: 2 },
      ),
    );
    expect(most).toBe(2);
    expect(started).toEqual(ids);
    expect(report.failures.map((f) => f.step.id)).toEqual(['b']);
    expect(report.results.filter((r) => r.status === 'done')).toHaveLength(6);
  });

  it('without a limit starts every child at once', async () => {
    let running = 0;
    let most = 0;
    const child = (id: string) =>
      leaf(id, id, async () => {
        most = Math.max(most, ++running);
        await sleep(5);
        running -= 1;
        return { summary: id, changed: false };
      });
    await run(parallel('p', 'five', ['a', 'b', 'c', 'd', 'e'].map(child)));
    expect(most).toBe(5);
  });

  it('refuses a limit that is not a whole number of at least 1', () => {
    for (const limit of [0, -1, 1.5, Number.NaN]) {
      expect(() => parallel('p', 'x', [], { limit }), String(limit)).toThrow(
        /limit must be a whole number of at least 1/,
      );
    }
    expect(parallel('p', 'x', [], { limit: 3 }).limit).toBe(3);
  });
});

describe('a step that runs after another branch (after)', () => {
  /** Steps that finish when the test opens their gate, recording when each starts and ends. */
  function gated() {
    const events: string[] = [];
    const gates = new Map<string, () => void>();
    const started = new Map<string, Promise<void>>();
    const starters = new Map<string, () => void>();
    const step = (id: string, fail = false) => {
      started.set(id, new Promise((r) => starters.set(id, r)));
      return leaf(id, `step ${id}`, async () => {
        events.push(`start ${id}`);
        starters.get(id)!();
        await new Promise<void>((r) => gates.set(id, r));
        events.push(`end ${id}`);
        if (fail) throw new Error(`${id} broke`);
        return { summary: `${id} done`, changed: true };
      });
    };
    const open = async (id: string) => {
      await started.get(id);
      gates.get(id)!();
    };
    return { events, step, open };
  }

  it('starts once its dependency ends, without waiting for the rest of that branch', async () => {
    const { events, step, open } = gated();
    const plan = parallel('p', 'two branches', [
      sequential('one', 'one', [step('a'), step('b')]),
      sequential('two', 'two', [runsAfter(['a'], step('c'))]),
    ]);
    const report = run(plan);
    await open('a');
    await open('c'); // c starts while b still runs
    expect(events).toContain('end c');
    expect(events).not.toContain('end b');
    await open('b');
    expect((await report).ok).toBe(true);
    expect(events.indexOf('start c')).toBeGreaterThan(events.indexOf('end a'));
  });

  it('does not run when its dependency fails, and is no failure itself', async () => {
    const { step, open } = gated();
    const plan = parallel('p', 'both', [step('a', true), runsAfter(['a'], step('b'))]);
    const report = run(plan);
    await open('a');
    const r = await report;
    expect(r.failures.map((f) => f.step.id)).toEqual(['a']);
    expect(r.results.map((x) => x.status)).toEqual(['failed', 'not-run']);
  });

  it('does not run when its dependency never runs (its sequence stopped first), and the run ends', async () => {
    const { step, open } = gated();
    const plan = parallel('p', 'both', [
      sequential('s', 'stops', [step('x', true), step('y')]),
      runsAfter(['y'], step('z')),
    ]);
    const report = run(plan);
    await open('x');
    const r = await report;
    expect(r.failures.map((f) => f.step.id)).toEqual(['x']);
    expect(r.results.map((x) => x.status)).toEqual(['failed', 'not-run', 'not-run']);
  });

  it('waits for a whole group when it names one', async () => {
    const { events, step, open } = gated();
    const plan = parallel('p', 'both', [parallel('g', 'group', [step('a'), step('b')]), runsAfter(['g'], step('c'))]);
    const report = run(plan);
    await open('a');
    await open('b');
    await open('c');
    expect((await report).ok).toBe(true);
    expect(events.indexOf('start c')).toBeGreaterThan(Math.max(events.indexOf('end a'), events.indexOf('end b')));
  });

  it('refuses a plan whose after names no step, or that would wait for itself', () => {
    const { step } = recorder();
    expect(() => checkOrder(sequential('s', 's', [runsAfter(['nope'], step('a'))]))).toThrow(/waits for nope/);
    expect(() => checkOrder(sequential('s', 's', [runsAfter(['b'], step('a')), step('b')]))).toThrow(/wait for itself/);
    expect(() => checkOrder(sequential('s', 's', [runsAfter(['s'], step('a'))]))).toThrow(/wait for itself/);
    expect(() => checkOrder(sequential('s', 's', [step('a'), runsAfter(['a'], step('b'))]))).not.toThrow();
  });

  it('says in the plan what a step waits for', () => {
    const { step } = recorder();
    const plan = parallel('p', 'both', [step('a'), runsAfter(['a'], step('b'))]);
    expect(renderPlan(plan, new Map())).toBe(
      'both (2 side by side)\n  • step a: will check\n  • step b: will check; after: step a',
    );
  });
});

import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/clock.ts';
import { CancelledError } from '../../../src/errors.ts';
import { renderPlan } from '../../../src/steps/plan-text.ts';
import { runPlan } from '../../../src/steps/runner.ts';
import { leaf, parallel, sequential, type Step } from '../../../src/steps/step.ts';

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
    const text = renderPlan(plan, new Map([['iad', { state: 'exists' as const, detail: 'vpc-1' }], ['pdx', { state: 'missing' as const }]]));
    expect(text).toBe('mesh up (1 in order)\n  networks (2 side by side)\n    • step iad: exists (vpc-1)\n    • step pdx: will create');
  });
});

// The RTT rule: above 1.5 times up's baseline for two passes in a row is a warning; one slow pass is not.
import { describe, expect, it } from 'vitest';
import { advance, type WatchState } from '../../../src/watch/incidents.ts';
import { rttChecks } from '../../../src/watch/rtt.ts';

const baselines = { 'iad -> pdx': 0.065 };
const at = (rttSeconds?: number) => [{ from: 'iad', to: 'pdx', ...(rttSeconds ? { rttSeconds } : {}) }];

describe('the RTT check', () => {
  it('warns only on the second pass in a row above 1.5 times the baseline, and alerts once', () => {
    let slow: Record<string, number> = {};
    let state: WatchState = {};
    const health: string[] = [];
    const alerts: string[] = [];
    [0.066, 0.11, 0.066, 0.11, 0.12, 0.13, 0.07].forEach((rtt, i) => {
      const r = rttChecks(at(rtt), baselines, slow);
      slow = r.slow;
      health.push(r.checks[0]!.health);
      const step = advance(state, r.checks, i * 300_000);
      state = step.state;
      alerts.push(...step.events.map((e) => e.type));
    });
    // 0.11 > 0.0975 (1.5 × 65 ms): one slow pass alone is ok; the second in a row warns; it stays one incident.
    expect(health).toEqual(['ok', 'ok', 'ok', 'ok', 'warning', 'warning', 'ok']);
    expect(alerts).toEqual(['opened', 'recovered']);
  });

  it('says what the baseline was and how long it has been slow', () => {
    const first = rttChecks(at(0.2), baselines, {});
    const second = rttChecks(at(0.2), baselines, first.slow);
    expect(second.checks[0]).toMatchObject({
      key: 'rtt iad -> pdx',
      health: 'warning',
      detail: '200.0 ms, above 1.5× its baseline of 65.0 ms for 2 passes in a row',
    });
  });

  it('judges nothing without a baseline or without a reply (the ping check covers that)', () => {
    expect(rttChecks(at(0.2), {}, {}).checks).toEqual([]);
    const r = rttChecks(at(undefined), baselines, { 'iad -> pdx': 1 });
    expect(r.checks).toEqual([]);
    expect(r.slow).toEqual({});
  });
});

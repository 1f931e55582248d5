// Cross-region round-trip time as a check: up's verification records each ordered pair's RTT as its baseline; a
// pair whose RTT stays above 1.5 times its baseline for two passes in a row is a warning (one slow pass is noise).
import type { Check } from './incidents.ts';

export const RTT_FACTOR = 1.5;
export const RTT_PASSES = 2;

/** "iad -> pdx" -> seconds, as up's verification measured it. */
export type RttBaselines = Record<string, number>;

export interface PairRtt {
  from: string;
  to: string;
  rttSeconds?: number;
}

export const pairKey = (from: string, to: string) => `${from} -> ${to}`;
const ms = (s: number) => `${(s * 1000).toFixed(1)} ms`;

/** The RTT checks of one pass, and how many passes in a row each pair has been slow (for the next pass). */
export function rttChecks(
  paths: PairRtt[],
  baselines: RttBaselines,
  slowBefore: Record<string, number>,
): { checks: Check[]; slow: Record<string, number> } {
  const checks: Check[] = [];
  const slow: Record<string, number> = {};
  for (const p of paths) {
    const pair = pairKey(p.from, p.to);
    const base = baselines[pair];
    // A failed ping is the ping check's business; without a baseline there is nothing to compare with.
    if (p.rttSeconds === undefined || base === undefined) continue;
    const limit = base * RTT_FACTOR;
    slow[pair] = p.rttSeconds > limit ? (slowBefore[pair] ?? 0) + 1 : 0;
    const warn = slow[pair] >= RTT_PASSES;
    checks.push({
      key: `rtt ${pair}`,
      cluster: p.from,
      health: warn ? 'warning' : 'ok',
      subject: `RTT ${pair}`,
      detail: warn
        ? `${ms(p.rttSeconds)}, above ${RTT_FACTOR}× its baseline of ${ms(base)} for ${slow[pair]} passes in a row`
        : `${ms(p.rttSeconds)} (baseline ${ms(base)})`,
    });
  }
  return { checks, slow };
}

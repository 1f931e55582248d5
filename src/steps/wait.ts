// Bounded, talkative, cancellable polling (eksctl's waiters).
import { WaitTimeoutError } from '../errors.ts';
import type { StepContext } from './step.ts';

export interface PollResult<T> {
  done: boolean;
  /** What was seen this time, e.g. "CREATING" or "2/3 nodes Ready"; reported and used in the timeout message. */
  status: string;
  value?: T;
}

export interface WaitOptions<T> {
  what: string;
  poll: () => Promise<PollResult<T>>;
  intervalMs: number;
  timeoutMs: number;
}

export async function waitFor<T>(ctx: StepContext, opts: WaitOptions<T>): Promise<T | undefined> {
  const started = ctx.clock.now();
  let lastSeen = 'nothing yet';
  for (;;) {
    await ctx.checkpoint();
    const result = await opts.poll();
    lastSeen = result.status;
    if (result.done) return result.value;
    const elapsed = ctx.clock.now() - started;
    if (elapsed >= opts.timeoutMs) throw new WaitTimeoutError(opts.what, opts.timeoutMs, lastSeen);
    ctx.note(`${opts.what}: ${result.status} (${formatDuration(elapsed)})`);
    await ctx.clock.sleep(Math.min(opts.intervalMs, opts.timeoutMs - elapsed), ctx.signal);
  }
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(s % 60).padStart(2, '0')}s`;
}

// The gateway's pending state changes (CREATING -> ACTIVE, ...): each runs once after a delay, and stop()
// cancels whatever has not run yet so a stopped sandbox leaves no timers behind. The delays run on the
// gateway's own timeline, which a test can hold: while held, nothing moves on (a cluster stays CREATING, a NAT
// gateway pending), however slow the machine; released, each change comes as late as the hold lasted.
export interface Timers {
  /** Runs fn `ms` after `since` on the timeline (default: now), e.g. after the request that started it. */
  after(ms: number, what: string, fn: () => Promise<void> | void, since?: number): void;
  /** The timeline's time: real time less every hold so far. */
  now(): number;
  /** Stops the timeline until release(). */
  hold(): void;
  release(): void;
  /** What is due and when, on the timeline (for tests). */
  pending(): Array<{ what: string; dueAt: number }>;
  /** Resolves once no change is pending or running (for tests and orderly shutdown). */
  idle(): Promise<void>;
  cancelAll(): void;
}

interface Pending {
  what: string;
  dueAt: number;
  timer?: NodeJS.Timeout;
  run(): void;
}

export function createTimers(log: (line: string) => void): Timers {
  const pending = new Set<Pending>();
  const running = new Set<Promise<void>>();
  let heldMs = 0;
  let heldSince: number | undefined;
  const now = () => Date.now() - heldMs - (heldSince === undefined ? 0 : Date.now() - heldSince);

  // Due on the timeline: a real timer for what is left, checked again when it fires (a hold may have come).
  const arm = (p: Pending) => {
    clearTimeout(p.timer);
    if (heldSince !== undefined) return;
    p.timer = setTimeout(
      () => {
        if (heldSince !== undefined) return;
        if (now() < p.dueAt) return arm(p);
        pending.delete(p);
        p.run();
      },
      Math.max(0, p.dueAt - now()),
    );
  };

  return {
    after(ms, what, fn, since) {
      const p: Pending = {
        what,
        dueAt: (since ?? now()) + Math.max(0, ms),
        run: () => {
          const done = (async () => {
            try {
              await fn();
            } catch (err) {
              log(`gateway: ${what} failed: ${(err as Error).message}`);
            }
          })();
          running.add(done);
          void done.finally(() => running.delete(done));
        },
      };
      pending.add(p);
      arm(p);
    },
    now,
    pending: () => [...pending].map((p) => ({ what: p.what, dueAt: p.dueAt })),
    hold() {
      if (heldSince !== undefined) return;
      heldSince = Date.now();
      for (const p of pending) clearTimeout(p.timer);
    },
    release() {
      if (heldSince === undefined) return;
      heldMs += Date.now() - heldSince;
      heldSince = undefined;
      for (const p of pending) arm(p);
    },
    async idle() {
      while (pending.size > 0 || running.size > 0) {
        await Promise.all([...running]);
        if (pending.size > 0) await new Promise((r) => setTimeout(r, 20));
      }
    },
    cancelAll() {
      for (const p of pending) clearTimeout(p.timer);
      pending.clear();
    },
  };
}

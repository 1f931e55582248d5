// The gateway's pending state changes (CREATING -> ACTIVE, ...): each runs once after a delay, and stop()
// cancels whatever has not run yet so a stopped sandbox leaves no timers behind.
export interface Timers {
  after(ms: number, what: string, fn: () => Promise<void> | void): void;
  /** Resolves once no change is pending or running (for tests and orderly shutdown). */
  idle(): Promise<void>;
  cancelAll(): void;
}

export function createTimers(log: (line: string) => void): Timers {
  const pending = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  return {
    after(ms, what, fn) {
      const t = setTimeout(
        () => {
          pending.delete(t);
          const p = (async () => {
            try {
              await fn();
            } catch (err) {
              log(`gateway: ${what} failed: ${(err as Error).message}`);
            }
          })();
          running.add(p);
          void p.finally(() => running.delete(p));
        },
        Math.max(0, ms),
      );
      pending.add(t);
    },
    async idle() {
      while (pending.size > 0 || running.size > 0) {
        await Promise.all([...running]);
        if (pending.size > 0) await new Promise((r) => setTimeout(r, 20));
      }
    },
    cancelAll() {
      for (const t of pending) clearTimeout(t);
      pending.clear();
    },
  };
}

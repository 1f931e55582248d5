// After a burst (hundreds of asks, each a few Slack calls) a thread's V8 heap is hundreds of MB, nearly all of it
// garbage, and V8 keeps it: a thread that goes quiet allocates nothing, so nothing triggers the collection that
// would hand the memory back, and the process's RSS stays at its peak. This watches one thread (call it on each)
// and, once it has been quiet for a while with its heap well above where it was, runs the one collection V8
// offers that also gives the memory back to the system (what a heap profiler's object query runs first).
// The pause falls when the thread has nothing to do.
import { performance } from 'node:perf_hooks';
import { getHeapStatistics, queryObjects } from 'node:v8';
import type { Logger } from 'pino';

export interface HeapWatch {
  stop(): void;
}

/** No instance ever exists: the query finds nothing, it is run for the collection before it. */
class NeverAllocated {}

export function returnHeapWhenQuiet(
  log: Logger,
  opts: {
    everyMs?: number;
    quietChecks?: number;
    growthBytes?: number;
    /**
     * Also while busy, once the heap has grown by this much: for a thread whose pauses hold up no ack (the
     * worker thread's), so that a long backlog after a burst does not keep the process at its peak either.
     */
    busyGrowthBytes?: number;
  } = {},
): HeapWatch {
  const everyMs = opts.everyMs ?? 5000;
  const growth = opts.growthBytes ?? 48 * 2 ** 20;
  // The heap of the quiet thread (at start, or after a quiet collection), and the heap after any collection: a
  // collection while busy leaves the heap of that moment, which a quiet thread still hands back later.
  let quietMark = getHeapStatistics().total_heap_size;
  let baseline = quietMark;
  let last = performance.eventLoopUtilization();
  let quiet = 0;
  const timer = setInterval(() => {
    const elu = performance.eventLoopUtilization(last);
    last = performance.eventLoopUtilization();
    quiet = elu.utilization < 0.05 ? quiet + 1 : 0;
    const before = getHeapStatistics().total_heap_size;
    if (before < baseline) baseline = before;
    if (before < quietMark) quietMark = before;
    const quietNow = quiet >= (opts.quietChecks ?? 1) && before - quietMark >= growth;
    if (!quietNow && !(opts.busyGrowthBytes !== undefined && before - baseline >= opts.busyGrowthBytes)) return;
    const t0 = performance.now();
    const warn = process.emitWarning;
    // The API is marked experimental: its one-time warning would be the only line on stderr.
    process.emitWarning = () => undefined;
    try {
      queryObjects(NeverAllocated, { format: 'count' });
    } finally {
      process.emitWarning = warn;
    }
    baseline = getHeapStatistics().total_heap_size;
    if (quietNow) quietMark = baseline;
    log.info(
      {
        heapBeforeMb: Math.round(before / 2 ** 20),
        heapAfterMb: Math.round(baseline / 2 ** 20),
        ms: Math.round(performance.now() - t0),
      },
      quietNow ? 'quiet after a busy spell: heap handed back' : 'grown while busy: heap handed back',
    );
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

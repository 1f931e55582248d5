// A thread that goes quiet after a busy spell hands its heap's garbage back (src/return-heap.ts): without it V8
// keeps the heap at its peak for as long as the thread stays idle.
import { getHeapStatistics } from 'node:v8';
import { pino } from 'pino';
import { expect, it } from 'vitest';
import { returnHeapWhenQuiet } from '../../../src/return-heap.ts';

it('a quiet thread whose heap grew by garbage gets it collected and the memory given back', async () => {
  const lines: Array<{ msg: string; heapBeforeMb: number; heapAfterMb: number }> = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const watch = returnHeapWhenQuiet(log, { everyMs: 200, growthBytes: 32 * 2 ** 20 });
  try {
    // A busy spell: about 100 MB of short-lived objects, some surviving long enough to reach the old space.
    let keep: object[] = [];
    for (let i = 0; i < 3_000_000; i++) {
      keep.push({ i, s: `item ${i}` });
      if (keep.length > 500_000) keep = [];
    }
    keep = [];
    const grown = getHeapStatistics().total_heap_size;
    await expect.poll(() => lines.find((l) => l.msg.includes('heap handed back')), { timeout: 10_000 }).toBeTruthy();
    const line = lines.find((l) => l.msg.includes('heap handed back'))!;
    expect(line.heapAfterMb).toBeLessThan(line.heapBeforeMb);
    expect(getHeapStatistics().total_heap_size).toBeLessThan(grown - 32 * 2 ** 20);
  } finally {
    watch.stop();
  }
});

it('a quiet thread whose heap did not grow is left alone', async () => {
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const watch = returnHeapWhenQuiet(log, { everyMs: 50, growthBytes: 512 * 2 ** 20 });
  let ticks = 0;
  const counter = setInterval(() => ticks++, 50);
  try {
    await expect.poll(() => ticks, { timeout: 5000 }).toBeGreaterThan(10);
    expect(lines).toEqual([]);
  } finally {
    clearInterval(counter);
    watch.stop();
  }
});

it('a thread told it may pause while busy gets its grown heap back without waiting to be quiet', async () => {
  const lines: Array<{ msg: string; heapBeforeMb: number; heapAfterMb: number }> = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  // Never quiet enough for the quiet path: only the busy one can answer.
  const watch = returnHeapWhenQuiet(log, {
    everyMs: 100,
    quietChecks: Number.MAX_SAFE_INTEGER,
    busyGrowthBytes: 32 * 2 ** 20,
  });
  try {
    // Busy all along: garbage in slices, yielding only so that the watch's timer can run.
    const started = Date.now();
    while (!lines.some((l) => l.msg === 'grown while busy: heap handed back') && Date.now() - started < 10_000) {
      let keep: object[] = [];
      for (let i = 0; i < 200_000; i++) {
        keep.push({ i, s: `item ${i}` });
        if (keep.length > 100_000) keep = [];
      }
      await new Promise((r) => setImmediate(r));
    }
    const line = lines.find((l) => l.msg === 'grown while busy: heap handed back');
    expect(line).toBeDefined();
    expect(line!.heapAfterMb).toBeLessThan(line!.heapBeforeMb);
  } finally {
    watch.stop();
  }
});

import { defineConfig } from 'vitest/config';

// Three projects, chosen by directory (see CONTRIBUTING.md):
// - unit: test/unit/**, pure code only (no Redis, no moto, no sandbox), files in parallel. `npm run test:unit`.
// - integration: every other test/**/*.test.ts, so a new file anywhere else runs here by default.
// - e2e: test/e2e/**, whole sandbox flows.
// Integration and e2e files start moto, Redis and stand-ins of their own, on free ports, and spend most of their
// time waiting on the sandbox's clocks. After the unit files both projects run together, and Vitest 5 gives one
// group order one maxWorkers in all (the two projects must name the same): 3 files at a time. At 2, a clean CI
// run took 866 s with the two cores 61% busy (user+sys 19.3 CPU-minutes in 15.9 minutes).
const UNIT = 'test/unit/**/*.test.ts';
const E2E = 'test/e2e/**/*.test.ts';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [UNIT],
          testTimeout: 10_000,
          // Vitest's default is one worker fewer than the cores: a single worker on this 2-core machine.
          maxWorkers: '100%',
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [UNIT, E2E],
          maxWorkers: 3,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: { name: 'e2e', include: [E2E], maxWorkers: 3, sequence: { groupOrder: 1 } },
      },
    ],
  },
});

// Counts calls per service and action ('ec2:CreateVpc'), for benchmarks of API calls per resource.
export interface CallCounter {
  record(service: string, action: string): void;
  counts(): Record<string, number>;
  total(): number;
  reset(): void;
}

export function createCallCounter(): CallCounter {
  let counts = new Map<string, number>();
  return {
    record(service, action) {
      const key = `${service}:${action || 'unknown'}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    },
    counts: () => Object.fromEntries([...counts.entries()].sort(([a], [b]) => a.localeCompare(b))),
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
    reset() {
      counts = new Map();
    },
  };
}

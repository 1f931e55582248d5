// Writes docs/topology-*.png from the known states the topology tests use: `node scripts/topology-examples.ts`.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { topologyPng } from '../src/topology/png.ts';
import { broken, fourMixed, healthy } from '../test/unit/ops/topology-fixtures.ts';

const out = (name: string) => fileURLToPath(new URL(`../docs/${name}`, import.meta.url));
for (const [name, h] of [
  ['topology-healthy.png', healthy(2)],
  ['topology-broken.png', broken()],
  ['topology-four.png', fourMixed()],
] as const) {
  const { png, width, height } = topologyPng(h);
  writeFileSync(out(name), png);
  process.stdout.write(`${name}: ${width}x${height}, ${png.length} bytes\n`);
}

// `npm run bench -- <name>`: benchmarks, run on demand (never in the test suite).
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const names = (await readdir(dir))
  .filter(
    (f) =>
      f.endsWith('.ts') &&
      !['run.ts', 'bare-bolt.ts', 'ack-slack-stand-in.ts', 'ack-one-loop.ts'].includes(f) &&
      !f.startsWith('lib-'),
  )
  .map((f) => f.replace(/\.ts$/, ''));
const wanted = process.argv[2];
const aliases: Record<string, string> = { ack: 'ack-latency' };
const name = wanted ? (aliases[wanted] ?? wanted) : undefined;
if (!name || !names.includes(name)) {
  process.stderr.write(`usage: npm run bench -- <name>; benchmarks: ${names.join(', ')}\n`);
  process.exit(2);
}
await import(`./${name}.ts`);

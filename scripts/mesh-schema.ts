// Writes infra/mesh.schema.json, the JSON Schema of the mesh spec, from the zod schema that validates it
// (src/config/spec.ts), so that YAML editors complete and check infra/mesh.yaml. `npm run schema` regenerates
// it; `npm run schema -- --check` exits 1 when the committed file is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { meshSpecSchema } from '../src/config/spec.ts';

export const SCHEMA_PATH = fileURLToPath(new URL('../infra/mesh.schema.json', import.meta.url));

/** The schema as committed: pretty JSON with a trailing newline, so diffs stay readable. */
export function generateMeshSchema(): string {
  // io 'input': what a user writes (optional fields stay optional, defaults are not required).
  const schema = z.toJSONSchema(meshSpecSchema(), { io: 'input', target: 'draft-2020-12' });
  const doc = {
    $schema: schema.$schema,
    title: 'meshops mesh spec',
    description:
      'The mesh meshops builds (infra/mesh.yaml). Generated from src/config/spec.ts by `npm run schema`; ' +
      'meshops itself also checks what a schema cannot (overlapping CIDRs, one cluster per region, node group sizes).',
    ...schema,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

function main(): void {
  const fresh = generateMeshSchema();
  if (process.argv.includes('--check')) {
    let committed = '';
    try {
      committed = readFileSync(SCHEMA_PATH, 'utf8');
    } catch {
      // missing counts as stale
    }
    if (committed !== fresh) {
      process.stderr.write(`${SCHEMA_PATH} is stale: run \`npm run schema\` and commit the result\n`);
      process.exit(1);
    }
    return;
  }
  writeFileSync(SCHEMA_PATH, fresh);
  process.stdout.write(`wrote ${SCHEMA_PATH}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();

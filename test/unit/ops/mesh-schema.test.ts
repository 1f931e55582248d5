// The committed JSON Schema of the mesh spec is what the zod schema generates, and it agrees with meshops on
// the shipped spec and on typical mistakes, so an editor flags what meshops would refuse.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generateMeshSchema, SCHEMA_PATH } from '../../../scripts/mesh-schema.ts';

const MESH_YAML = new URL('../../../infra/mesh.yaml', import.meta.url);
const committed = readFileSync(SCHEMA_PATH, 'utf8');

describe('infra/mesh.schema.json', () => {
  it('is what `npm run schema` generates from src/config/spec.ts (run it and commit when this fails)', () => {
    expect(committed).toBe(generateMeshSchema());
  });

  it("is named in the spec's first line for YAML editors", () => {
    const first = readFileSync(MESH_YAML, 'utf8').split('\n')[0];
    expect(first).toBe('# yaml-language-server: $schema=./mesh.schema.json');
  });

  const validate = new Ajv2020({ allErrors: true, strict: false }).compile(JSON.parse(committed));
  const shipped = parse(readFileSync(MESH_YAML, 'utf8')) as Record<string, unknown>;

  it('accepts the shipped spec', () => {
    expect(validate(shipped), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each([
    ['an unknown top-level field', { ...shipped, clustres: [] }, 'additionalProperties'],
    ['an unquoted Kubernetes version', { ...shipped, kubernetesVersion: 1.34 }, 'type'],
    [
      'a Calico variant that does not exist',
      { ...shipped, calico: { ...(shipped.calico as object), variant: 'free' } },
      'enum',
    ],
    ['a mesh name over 20 characters', { ...shipped, name: 'a-very-long-mesh-name-indeed' }, 'maxLength'],
    ['a missing workloads section', { ...shipped, workloads: undefined }, 'required'],
  ])('refuses %s', (_what, doc, keyword) => {
    const clean = JSON.parse(JSON.stringify(doc)) as unknown;
    expect(validate(clean)).toBe(false);
    expect(validate.errors?.map((e) => e.keyword)).toContain(keyword);
  });
});

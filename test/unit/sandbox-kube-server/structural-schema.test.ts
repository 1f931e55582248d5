// The Kubernetes extensions of a CRD's structural schema, as kube-apiserver applies them to a custom resource:
// pruning, x-kubernetes-preserve-unknown-fields, -embedded-resource, -int-or-string, nullable and defaults.
import { describe, expect, it } from 'vitest';
import { compileSchema, fieldErrors } from '../../../sandbox/kube/server/schema/crd-validation.ts';
import {
  type JsonSchema,
  pruneAndDefault,
  type StructuralResult,
} from '../../../sandbox/kube/server/schema/structural.ts';

const schema: JsonSchema = {
  type: 'object',
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      required: ['port'],
      properties: {
        port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
        mode: { type: 'string', default: 'Auto', enum: ['Auto', 'Manual'] },
        note: { type: 'string', nullable: true },
        size: { type: 'integer' },
        free: {
          type: 'object',
          'x-kubernetes-preserve-unknown-fields': true,
          properties: { known: { type: 'string' } },
        },
        template: {
          type: 'object',
          'x-kubernetes-embedded-resource': true,
          properties: { spec: { type: 'object', properties: { replicas: { type: 'integer', default: 1 } } } },
        },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
  },
};

function admit(obj: Record<string, unknown>): { obj: Record<string, unknown>; result: StructuralResult } {
  const result: StructuralResult = { unknown: [], errors: [] };
  pruneAndDefault(obj, schema, '', result, true);
  return { obj, result };
}

describe('structural schema handling', () => {
  it('prunes unknown fields, keeps them under preserve-unknown-fields, and applies defaults', () => {
    const { obj, result } = admit({
      apiVersion: 'x/v1',
      kind: 'X',
      metadata: { name: 'a', bogus: 1 },
      spec: { port: 80, extra: true, free: { known: 'k', anything: { deep: 1 } }, labels: { a: 'b' }, template: {} },
    });
    expect(result.unknown).toEqual(['metadata.bogus', 'spec.extra']);
    expect(obj['spec']).toEqual({
      port: 80,
      mode: 'Auto',
      free: { known: 'k', anything: { deep: 1 } },
      labels: { a: 'b' },
      // Defaults fill fields of objects that exist; they do not create the objects around them.
      template: {},
    });
    expect(result.errors.map((e) => e.field)).toEqual(['spec.template.apiVersion', 'spec.template.kind']);
  });

  it('drops null for fields that are not nullable and keeps it where they are', () => {
    const { obj } = admit({
      apiVersion: 'x/v1',
      kind: 'X',
      metadata: { name: 'a' },
      spec: { port: 1, note: null, size: null },
    });
    expect(obj['spec']).toEqual({ port: 1, note: null, mode: 'Auto' });
  });

  it('embedded resources keep apiVersion, kind and ObjectMeta and prune the rest of their metadata', () => {
    const { obj, result } = admit({
      apiVersion: 'x/v1',
      kind: 'X',
      metadata: { name: 'a' },
      spec: {
        port: 1,
        template: { apiVersion: 'v1', kind: 'Pod', metadata: { labels: { a: 'b' }, nope: 1 }, spec: {} },
      },
    });
    expect(result.unknown).toEqual(['spec.template.metadata.nope']);
    expect(result.errors).toEqual([]);
    expect((obj['spec'] as Record<string, unknown>)['template']).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { labels: { a: 'b' } },
      spec: { replicas: 1 },
    });
  });

  it("validates int-or-string, enums, required fields and types in the API server's words", () => {
    const validate = compileSchema(schema);
    const { metadata: _m, ...data } = admit({
      apiVersion: 'x/v1',
      kind: 'X',
      metadata: { name: 'a' },
      spec: { port: 1.5, mode: 'Often', size: 'big' },
    }).obj;
    expect(fieldErrors(validate, data).map((e) => `${e.field}: ${e.message}`)).toEqual([
      'spec.port: Invalid value: "number": spec.port in body must be of type integer,string: "number"',
      'spec.mode: Unsupported value: "Often": supported values: "Auto", "Manual"',
      'spec.size: Invalid value: "string": spec.size in body must be of type integer: "string"',
    ]);
    expect(
      fieldErrors(validate, { apiVersion: 'x/v1', kind: 'X', spec: {} }).map((e) => `${e.field}: ${e.message}`),
    ).toEqual(['spec.port: Required value']);
    expect(fieldErrors(validate, { apiVersion: 'x/v1', kind: 'X', spec: { port: 'http' } })).toEqual([]);
  });
});

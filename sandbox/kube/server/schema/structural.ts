// What kube-apiserver does to a custom resource before validating it, driven by the CRD's structural schema:
// null values of non-nullable fields dropped, unknown fields pruned (and reported, for fieldValidation), defaults
// applied (apiextensions.k8s.io/v1 semantics). The value checks (types, enums, patterns, ...) are ajv's job.
import { walkBuiltin } from './builtin-schema.ts';

export interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  default?: unknown;
  nullable?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  [key: string]: unknown;
}

type Rec = Record<string, unknown>;

function isObject(v: unknown): v is Rec {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Field paths as the API server prints them: spec.ports[0].name. */
export function childPath(parent: string, key: string): string {
  return parent ? `${parent}.${key}` : key;
}

export interface StructuralResult {
  /** Unknown fields, in document order, as kube-apiserver names them in strict decoding errors. */
  unknown: string[];
  /** Field errors found while walking (embedded resources without kind or apiVersion). */
  errors: Array<{ field: string; message: string; reason: string }>;
}

/**
 * Prunes and defaults `value` in place against `schema`; `path` is where `value` sits. At the root of a custom
 * resource and of an embedded resource, apiVersion and kind are always allowed and metadata is ObjectMeta.
 */
export function pruneAndDefault(
  value: unknown,
  schema: JsonSchema,
  path: string,
  out: StructuralResult,
  root: boolean,
): unknown {
  if (Array.isArray(value)) {
    if (schema.items) {
      for (let i = 0; i < value.length; i++)
        value[i] = pruneAndDefault(value[i], schema.items, `${path}[${i}]`, out, false);
    }
    return value;
  }
  if (!isObject(value)) return value;
  const resource = root || schema['x-kubernetes-embedded-resource'] === true;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  const props = schema.properties;
  const extra = schema.additionalProperties;
  for (const key of Object.keys(value)) {
    const here = childPath(path, key);
    if (resource && (key === 'apiVersion' || key === 'kind')) continue;
    if (resource && key === 'metadata') {
      if (!isObject(value[key])) continue;
      walkBuiltin(value[key], 'V1ObjectMeta', here, { unknown: out.unknown, typeErrors: [] });
      continue;
    }
    const sub = props?.[key] ?? (isObject(extra) ? (extra as JsonSchema) : undefined);
    if (sub) {
      if (value[key] === null && sub.nullable !== true) {
        delete value[key];
        continue;
      }
      value[key] = pruneAndDefault(value[key], sub, here, out, false);
      continue;
    }
    if (preserve || extra === true) continue;
    out.unknown.push(here);
    delete value[key];
  }
  if (props) {
    for (const [key, sub] of Object.entries(props)) {
      if (value[key] !== undefined || sub.default === undefined) continue;
      if (resource && key === 'metadata') continue;
      // Defaults are themselves pruned and defaulted, as the API server does when it publishes them.
      value[key] = pruneAndDefault(
        structuredClone(sub.default),
        sub,
        childPath(path, key),
        { unknown: [], errors: [] },
        false,
      );
    }
  }
  if (schema['x-kubernetes-embedded-resource'] === true && !root) {
    for (const key of ['apiVersion', 'kind']) {
      if (typeof value[key] !== 'string' || value[key] === '') {
        out.errors.push({
          field: childPath(path, key),
          message: 'Required value: must not be empty',
          reason: 'FieldValueRequired',
        });
      }
    }
  }
  return value;
}

/**
 * Scalars of the wrong JSON type, as server-side apply's typed conversion finds them before any validation:
 * `{ path, want, got }` with want as structured-merge-diff names it (numeric, string, boolean).
 */
export function scalarMismatches(
  value: unknown,
  schema: JsonSchema,
  path: string,
  out: Array<{ path: string; want: string; got: string }>,
): void {
  if (value === null || value === undefined || schema['x-kubernetes-int-or-string'] === true) return;
  const got = Array.isArray(value) ? 'list' : typeof value === 'object' ? 'map' : typeof value;
  const want: Record<string, string> = { integer: 'numeric', number: 'numeric', string: 'string', boolean: 'boolean' };
  const scalar = schema.type ? want[schema.type] : undefined;
  if (scalar) {
    const ok = scalar === 'numeric' ? typeof value === 'number' : typeof value === scalar;
    if (!ok) out.push({ path, want: scalar, got });
    return;
  }
  if (Array.isArray(value)) {
    if (schema.items) value.forEach((v, i) => scalarMismatches(v, schema.items!, `${path}[${i}]`, out));
    return;
  }
  if (!isObject(value)) return;
  for (const [key, v] of Object.entries(value)) {
    const extra = schema.additionalProperties;
    const sub = schema.properties?.[key] ?? (isObject(extra) ? (extra as JsonSchema) : undefined);
    if (sub) scalarMismatches(v, sub, childPath(path, key), out);
  }
}

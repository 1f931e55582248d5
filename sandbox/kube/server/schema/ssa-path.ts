// Field paths as server-side apply (structured-merge-diff) prints them: items of keyed lists are named by their
// keys (.spec.containers[name="nginx"].image), other list items by index.
import type { JsonSchema } from './structural.ts';

type Rec = Record<string, unknown>;

/** Keys of the built-in lists that merge by key (the types' listMapKeys), by field name. */
const BUILTIN_LIST_KEYS: Record<string, (item: Rec) => string[]> = {
  containers: () => ['name'],
  initContainers: () => ['name'],
  ephemeralContainers: () => ['name'],
  env: () => ['name'],
  volumes: () => ['name'],
  volumeMounts: () => ['mountPath'],
  imagePullSecrets: () => ['name'],
  ports: (item) => (item['containerPort'] !== undefined ? ['containerPort', 'protocol'] : ['port', 'protocol']),
};

function tokens(path: string): Array<string | number> {
  const out: Array<string | number> = [];
  for (const part of path.split('.')) {
    const m = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) {
      out.push(part);
      continue;
    }
    if (m[1]) out.push(m[1]);
    for (const i of m[2]!.matchAll(/\[(\d+)\]/g)) out.push(Number(i[1]));
  }
  return out;
}

function keyed(item: unknown, keys: string[]): string | undefined {
  if (!item || typeof item !== 'object') return undefined;
  const rec = item as Rec;
  const parts = keys.map((k) => {
    // protocol defaults to TCP before the API server types the object.
    const v = rec[k] ?? (k === 'protocol' ? 'TCP' : undefined);
    return v === undefined ? undefined : `${k}=${JSON.stringify(v)}`;
  });
  return parts.every((p) => p !== undefined) ? `[${parts.join(',')}]` : undefined;
}

function childSchema(schema: JsonSchema | undefined, key: string): JsonSchema | undefined {
  if (!schema) return undefined;
  const extra = schema.additionalProperties;
  return schema.properties?.[key] ?? (extra && typeof extra === 'object' ? extra : undefined);
}

/** `path` (spec.containers[0].foo) in the applied object `obj`, for a CRD `schema` or a built-in (no schema). */
export function ssaPath(path: string, obj: unknown, schema: JsonSchema | undefined): string {
  let out = '';
  let value: unknown = obj;
  let node = schema;
  let field = '';
  for (const t of tokens(path)) {
    if (typeof t === 'number') {
      const item = Array.isArray(value) ? value[t] : undefined;
      const keys = schema
        ? node?.['x-kubernetes-list-type'] === 'map'
          ? node['x-kubernetes-list-map-keys']
          : undefined
        : BUILTIN_LIST_KEYS[field]?.((item ?? {}) as Rec);
      out += (keys && keyed(item, keys)) ?? `[${t}]`;
      value = item;
      node = node?.items;
      continue;
    }
    out += `.${t}`;
    field = t;
    value = value && typeof value === 'object' ? (value as Rec)[t] : undefined;
    node = childSchema(node, t);
  }
  return out;
}

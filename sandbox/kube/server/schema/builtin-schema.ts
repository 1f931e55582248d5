// Built-in kinds' field sets and types, from @kubernetes/client-node's models: they are generated from the
// upstream Kubernetes OpenAPI spec (every model lists its JSON fields with their types), so the stand-in knows
// exactly the fields a real API server of that release decodes, without a hand-written schema.
import * as k8s from '@kubernetes/client-node';

interface Attribute {
  baseName: string;
  type: string;
  format: string;
}

type Rec = Record<string, unknown>;
type ModelClass = { getAttributeTypeMap(): Attribute[] };

const models = k8s as unknown as Record<string, ModelClass | undefined>;
const fieldCache = new Map<string, Map<string, Attribute> | undefined>();

function fieldsOf(model: string): Map<string, Attribute> | undefined {
  if (fieldCache.has(model)) return fieldCache.get(model);
  const cls = models[model];
  const fields =
    typeof cls?.getAttributeTypeMap === 'function'
      ? new Map(cls.getAttributeTypeMap().map((a) => [a.baseName, a]))
      : undefined;
  fieldCache.set(model, fields);
  return fields;
}

/** The client-node model of a built-in kind, e.g. apps/v1 StatefulSet -> V1StatefulSet. */
export function builtinModel(group: string, version: string, kind: string): string | undefined {
  const prefix = version.charAt(0).toUpperCase() + version.slice(1);
  const candidates = group === '' && kind === 'Event' ? ['CoreV1Event'] : [`${prefix}${kind}`];
  return candidates.find((m) => fieldsOf(m) !== undefined);
}

export interface TypeError {
  /** Full JSON path without indices, as Go's json decoder prints it. */
  path: string;
  /** The same path with list indices (spec.containers[0].ports). */
  at: string;
  /** Go struct that holds the field (StatefulSetSpec). */
  struct: string;
  got: string;
  want: string;
}

export interface BuiltinWalk {
  unknown: string[];
  typeErrors: TypeError[];
}

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'string';
  return 'object';
}

function goType(type: string, format: string): string {
  if (type === 'number') return format === 'int32' ? 'int32' : format === 'int64' ? 'int64' : 'float64';
  if (type === 'boolean') return 'bool';
  if (type === 'string' || type === 'Date') return 'string';
  if (type === 'IntOrString') return 'intstr.IntOrString';
  if (type.startsWith('Array<')) return `[]${goType(type.slice(6, -1), '')}`;
  if (type.startsWith('{ [key: string]: ')) return `map[string]${goType(type.slice(17, -3), '')}`;
  return `v1.${type.replace(/^(V1|V2|V1beta1|Core|Discovery|Rbac|Events|Storage)+/, '')}`;
}

/** Checks `value` against a client-node type; returns false when the JSON type cannot decode into it. */
function fits(value: unknown, type: string, format: string): boolean {
  switch (type) {
    case 'any':
      return true;
    case 'string':
    case 'Date':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'number':
      return typeof value === 'number' && (format === 'int32' || format === 'int64' ? Number.isInteger(value) : true);
    case 'IntOrString':
      return typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value));
    default:
      if (type.startsWith('Array<')) return Array.isArray(value);
      return value !== null && typeof value === 'object' && !Array.isArray(value);
  }
}

/**
 * Fields of type resource.Quantity, which decodes from a JSON number too; client-node types them as plain
 * strings, so they are known here by name.
 */
const QUANTITY_FIELDS = new Set([
  'limits',
  'requests',
  'capacity',
  'allocatable',
  'hard',
  'used',
  'overhead',
  'podFixed',
  'sizeLimit',
  'storage',
]);

function isQuantity(path: string, value: unknown): boolean {
  const names = path.replace(/\[\d+\]/g, '').split('.');
  return typeof value === 'number' && names.some((n) => QUANTITY_FIELDS.has(n));
}

function walkType(value: unknown, type: string, format: string, path: string, struct: string, out: BuiltinWalk): void {
  if (value === null || value === undefined) return;
  if (type === 'string' && isQuantity(path, value)) return;
  if (!fits(value, type, format)) {
    out.typeErrors.push({
      path: path.replace(/\[\d+\]/g, ''),
      at: path,
      struct,
      got: jsonKind(value),
      want: goType(type, format),
    });
    return;
  }
  if (type.startsWith('Array<')) {
    const inner = type.slice(6, -1);
    (value as unknown[]).forEach((item, i) => walkType(item, inner, '', `${path}[${i}]`, struct, out));
    return;
  }
  if (type.startsWith('{ [key: string]: ')) {
    const inner = type.slice(17, -3);
    for (const [k, v] of Object.entries(value as Rec)) walkType(v, inner, '', `${path}.${k}`, struct, out);
    return;
  }
  if (fieldsOf(type)) walkBuiltin(value as Rec, type, path, out);
}

/** Walks an object of client-node model `model`, pruning unknown fields (recorded in `out.unknown`). */
export function walkBuiltin(obj: Rec, model: string, path: string, out: BuiltinWalk): void {
  const fields = fieldsOf(model);
  if (!fields) return;
  const struct = model.replace(/^(V1beta1|V1alpha1|V2|V1|CoreV1|DiscoveryV1|RbacV1|EventsV1|StorageV1)/, '');
  for (const key of Object.keys(obj)) {
    const here = path ? `${path}.${key}` : key;
    const attr = fields.get(key);
    if (!attr) {
      out.unknown.push(here);
      delete obj[key];
      continue;
    }
    walkType(obj[key], attr.type, attr.format, here, struct, out);
  }
}

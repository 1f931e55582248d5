// Field ownership for server-side apply, at leaf-field granularity. Lists are atomic except the associative
// lists built-in types merge by key (containers by name, conditions by type...), as structured-merge-diff does.
import type { KubeObject } from '../store.ts';
import { deepEqual } from './deep-equal.ts';

type JsonObject = Record<string, unknown>;
export type Segment = string; // 'f:<field>' or 'k:<json of key fields>'
export type FieldPath = Segment[];

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: JsonObject;
  subresource?: string;
}

function isObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

const ASSOCIATIVE_KEYS: Record<string, string[]> = {
  containers: ['name'],
  initContainers: ['name'],
  ephemeralContainers: ['name'],
  env: ['name'],
  volumes: ['name'],
  volumeMounts: ['mountPath'],
  imagePullSecrets: ['name'],
  conditions: ['type'],
  ownerReferences: ['uid'],
};

/** Key fields of a list's items, when the list merges by key and every item has them. */
export function listKeys(field: string, list: unknown[]): string[] | undefined {
  let keys = ASSOCIATIVE_KEYS[field];
  if (!keys && field === 'ports')
    keys = list.every((i) => isObject(i) && 'containerPort' in i)
      ? ['containerPort', 'protocol']
      : ['port', 'protocol'];
  if (!keys) return undefined;
  const required = keys[0]!;
  return list.every((i) => isObject(i) && i[required] !== undefined) ? keys : undefined;
}

function itemSegment(item: JsonObject, keys: string[]): Segment {
  const key: JsonObject = {};
  for (const k of keys) if (item[k] !== undefined) key[k] = item[k];
  if (keys.includes('protocol') && key['protocol'] === undefined) key['protocol'] = 'TCP';
  return `k:${JSON.stringify(key)}`;
}

/** Leaf field paths set in an object (skipping what no manager owns: identity, managedFields, status when asked). */
export function leafPaths(obj: JsonObject, skipTop: (path: string[]) => boolean): FieldPath[] {
  const out: FieldPath[] = [];
  const walk = (value: unknown, path: FieldPath, names: string[]): void => {
    if (names.length > 0 && skipTop(names)) return;
    if (isObject(value) && Object.keys(value).length > 0) {
      for (const [k, v] of Object.entries(value)) walk(v, [...path, `f:${k}`], [...names, k]);
      return;
    }
    if (Array.isArray(value) && value.length > 0) {
      const field = names[names.length - 1] ?? '';
      const keys = listKeys(field, value);
      if (keys) {
        for (const item of value as JsonObject[]) {
          const seg = itemSegment(item, keys);
          out.push([...path, seg, '.']);
          for (const [k, v] of Object.entries(item)) walk(v, [...path, seg, `f:${k}`], [...names, '[]', k]);
        }
        return;
      }
    }
    out.push(path);
  };
  walk(obj, [], []);
  return out;
}

/** Paths whose identity and bookkeeping fields nobody owns. */
export function skipIdentity(names: string[]): boolean {
  if (names.length === 1) return names[0] === 'apiVersion' || names[0] === 'kind';
  if (names.length === 2 && names[0] === 'metadata') {
    return [
      'name',
      'namespace',
      'uid',
      'resourceVersion',
      'generation',
      'creationTimestamp',
      'managedFields',
      'deletionTimestamp',
      'selfLink',
    ].includes(names[1]!);
  }
  return false;
}

export function pathKey(path: FieldPath): string {
  return path.join('\u0000');
}

export function toFieldsV1(paths: FieldPath[]): JsonObject {
  const root: JsonObject = {};
  for (const path of paths) {
    let cur = root;
    for (const seg of path) {
      if (seg === '.') {
        cur['.'] = {};
        break;
      }
      cur = (cur[seg] ??= {}) as JsonObject;
    }
  }
  return root;
}

export function fromFieldsV1(fields: unknown): FieldPath[] {
  const out: FieldPath[] = [];
  const walk = (node: JsonObject, path: FieldPath): void => {
    const entries = Object.entries(node);
    if (entries.length === 0 && path.length > 0) out.push(path);
    for (const [seg, child] of entries) {
      if (seg === '.') out.push([...path, '.']);
      else walk(isObject(child) ? child : {}, [...path, seg]);
    }
  };
  if (isObject(fields)) walk(fields, []);
  return out;
}

/** The value at a field path, or undefined when absent. */
export function valueAt(obj: unknown, path: FieldPath): unknown {
  let cur: unknown = obj;
  for (const seg of path) {
    if (seg === '.') return cur;
    if (seg.startsWith('f:')) {
      if (!isObject(cur)) return undefined;
      cur = cur[seg.slice(2)];
    } else if (seg.startsWith('k:')) {
      if (!Array.isArray(cur)) return undefined;
      const key = JSON.parse(seg.slice(2)) as JsonObject;
      cur = cur.find(
        (item) =>
          isObject(item) &&
          Object.entries(key).every(([k, v]) => (item[k] ?? (k === 'protocol' ? 'TCP' : undefined)) === v),
      );
    } else return undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** Removes the field (or list item) at a path from an object, in place. */
export function removeAt(obj: JsonObject, path: FieldPath): void {
  const trimmed = path[path.length - 1] === '.' ? path.slice(0, -1) : path;
  if (trimmed.length === 0) return;
  const parent = valueAt(obj, trimmed.slice(0, -1));
  const last = trimmed[trimmed.length - 1]!;
  if (last.startsWith('f:') && isObject(parent)) delete parent[last.slice(2)];
  else if (last.startsWith('k:') && Array.isArray(parent)) {
    const item = valueAt(obj, trimmed);
    const idx = parent.indexOf(item);
    if (idx >= 0) parent.splice(idx, 1);
  }
  // A map emptied by the removal goes too, as the apply that set its last field owned the map as well.
  const parentPath = trimmed.slice(0, -1);
  if (
    parentPath.length > 0 &&
    parentPath[parentPath.length - 1]!.startsWith('f:') &&
    isObject(parent) &&
    Object.keys(parent).length === 0
  ) {
    removeAt(obj, parentPath);
  }
}

/** `.spec.containers[name="web"].image`: how conflicts name fields. */
export function describePath(path: FieldPath): string {
  let out = '';
  for (const seg of path) {
    if (seg === '.') continue;
    if (seg.startsWith('f:')) out += `.${seg.slice(2)}`;
    else {
      const key = JSON.parse(seg.slice(2)) as JsonObject;
      out += `[${Object.entries(key)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',')}]`;
    }
  }
  return out;
}

export function sameValue(a: unknown, b: unknown): boolean {
  return deepEqual(a, b);
}

/** Applies a configuration onto an object: maps merge, associative lists merge by key, other lists replace. */
export function mergeApplied(target: unknown, applied: unknown, field = ''): unknown {
  if (isObject(applied)) {
    const out: JsonObject = isObject(target) ? { ...target } : {};
    for (const [k, v] of Object.entries(applied)) {
      if (v === null) continue;
      out[k] = mergeApplied(out[k], v, k);
    }
    return out;
  }
  if (Array.isArray(applied) && Array.isArray(target)) {
    const keys = listKeys(field, applied);
    if (keys && listKeys(field, target)) {
      const out = [...target];
      for (const item of applied as JsonObject[]) {
        const seg = itemSegment(item, keys);
        const existing = valueAt(out, [seg]);
        const idx = existing === undefined ? -1 : out.indexOf(existing);
        if (idx >= 0) out[idx] = mergeApplied(out[idx], item, '');
        else out.push(structuredClone(item));
      }
      return out;
    }
  }
  return structuredClone(applied);
}

export function readManagedFields(obj: KubeObject): ManagedFieldsEntry[] {
  return Array.isArray(obj.metadata.managedFields) ? (obj.metadata.managedFields as ManagedFieldsEntry[]) : [];
}

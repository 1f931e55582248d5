// PATCH bodies: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and the strategic merge patch kubectl sends.
import { ApiError, badRequest } from './status.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value) as Json;
  }
  return out;
}

function decodePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/'))
    throw badRequest(
      `the server rejected our request due to an error in our request: invalid JSON pointer "${pointer}"`,
    );
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: Json, path: string[]): { parent: Json; last: string } {
  let cur: Json = doc;
  for (const part of path.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(part)] as Json;
    else if (isObject(cur)) cur = cur[part] as Json;
    else cur = undefined as unknown as Json;
    if (cur === undefined)
      throw new ApiError(
        422,
        'Invalid',
        `the server rejected our request due to an error in our request: doc is missing path: "/${path.join('/')}"`,
      );
  }
  return { parent: cur, last: path[path.length - 1]! };
}

function getAt(doc: Json, path: string[]): Json {
  let cur: Json = doc;
  for (const part of path) {
    if (Array.isArray(cur)) cur = cur[Number(part)] as Json;
    else if (isObject(cur)) cur = cur[part] as Json;
    else return undefined as unknown as Json;
    if (cur === undefined) return cur;
  }
  return cur;
}

function missing(path: string[]): ApiError {
  return new ApiError(
    422,
    'Invalid',
    `the server rejected our request due to an error in our request: doc is missing path: "/${path.join('/')}": missing value`,
  );
}

export function jsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops))
    throw badRequest('the server rejected our request due to an error in our request: json patch must be an array');
  let root = structuredClone(doc) as Json;
  const remove = (path: string[]): Json => {
    if (path.length === 0) throw badRequest('cannot remove the document root');
    const { parent, last } = parentOf(root, path);
    if (Array.isArray(parent)) {
      const i = Number(last);
      if (!(i >= 0 && i < parent.length)) throw missing(path);
      return parent.splice(i, 1)[0]!;
    }
    if (!isObject(parent) || !Object.hasOwn(parent, last)) throw missing(path);
    const old = parent[last]!;
    delete parent[last];
    return old;
  };
  const add = (path: string[], value: Json): void => {
    if (path.length === 0) {
      root = value;
      return;
    }
    const { parent, last } = parentOf(root, path);
    if (Array.isArray(parent)) {
      const i = last === '-' ? parent.length : Number(last);
      if (!(i >= 0 && i <= parent.length)) throw missing(path);
      parent.splice(i, 0, value);
    } else if (isObject(parent)) parent[last] = value;
    else throw missing(path);
  };
  for (const op of ops as Array<{ op: string; path: string; from?: string; value?: Json }>) {
    const path = decodePointer(op.path);
    switch (op.op) {
      case 'add':
        add(path, structuredClone(op.value as Json));
        break;
      case 'remove':
        remove(path);
        break;
      case 'replace':
        if (getAt(root, path) === undefined) throw missing(path);
        if (path.length === 0) root = structuredClone(op.value as Json);
        else {
          const { parent, last } = parentOf(root, path);
          if (Array.isArray(parent)) parent[Number(last)] = structuredClone(op.value as Json);
          else (parent as JsonObject)[last] = structuredClone(op.value as Json);
        }
        break;
      case 'move':
        add(path, remove(decodePointer(op.from ?? '')));
        break;
      case 'copy': {
        const value = getAt(root, decodePointer(op.from ?? ''));
        if (value === undefined) throw missing(decodePointer(op.from ?? ''));
        add(path, structuredClone(value));
        break;
      }
      case 'test':
        if (JSON.stringify(getAt(root, path)) !== JSON.stringify(op.value)) {
          throw new ApiError(
            422,
            'Invalid',
            `the server rejected our request due to an error in our request: testing value /${path.join('/')} failed`,
          );
        }
        break;
      default:
        throw badRequest(`the server rejected our request due to an error in our request: Unexpected kind: ${op.op}`);
    }
  }
  return root;
}

/** Merge keys of the lists that built-in types merge by key (from the types' patchMergeKey tags). */
const MERGE_KEYS: Record<string, string | ((item: JsonObject) => string)> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  conditions: 'type',
  ownerReferences: 'uid',
  hostAliases: 'ip',
  // container ports merge by containerPort, Service ports by port
  ports: (item) => ('containerPort' in item ? 'containerPort' : 'port'),
};

/** Lists of scalars that strategic merge unions instead of replacing. */
const MERGED_PRIMITIVE_LISTS = new Set(['finalizers']);

function mergeKeyFor(field: string, sample: JsonObject | undefined): string | undefined {
  const key = MERGE_KEYS[field];
  if (typeof key === 'function') return sample ? key(sample) : undefined;
  return key;
}

function strategicList(field: string, target: Json[] | undefined, patch: Json[]): Json[] {
  const base = Array.isArray(target) ? target : [];
  if (MERGED_PRIMITIVE_LISTS.has(field) && patch.every((p) => !isObject(p))) {
    const out = [...base];
    for (const p of patch) if (!out.includes(p)) out.push(p);
    return out;
  }
  const sample = patch.find(isObject) ?? base.find(isObject);
  const key = mergeKeyFor(field, sample as JsonObject | undefined);
  if (!key) return patch.filter((p) => !(isObject(p) && p['$patch'] !== undefined)).map((p) => stripDirectives(p));
  if (patch.some((p) => isObject(p) && p['$patch'] === 'replace')) {
    return patch.filter((p) => !(isObject(p) && p['$patch'] === 'replace')).map((p) => stripDirectives(p));
  }
  const out = base.map((b) => structuredClone(b));
  for (const item of patch) {
    if (!isObject(item)) continue;
    const idx = out.findIndex((o) => isObject(o) && o[key] === item[key]);
    if (item['$patch'] === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = strategicMerge(out[idx], item, '') as Json;
    else out.push(stripDirectives(item));
  }
  return out;
}

function stripDirectives(value: Json): Json {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) if (!k.startsWith('$')) out[k] = stripDirectives(v);
  return out;
}

export function strategicMerge(target: unknown, patch: unknown, field = ''): unknown {
  if (Array.isArray(patch)) return strategicList(field, target as Json[] | undefined, patch as Json[]);
  if (!isObject(patch)) return structuredClone(patch);
  if (patch['$patch'] === 'replace') return stripDirectives(patch);
  if (patch['$patch'] === 'delete') return undefined;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  const retain = patch['$retainKeys'];
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$setElementOrder/') || key === '$retainKeys' || key === '$patch') continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const name = key.slice('$deleteFromPrimitiveList/'.length);
      const list = out[name];
      if (Array.isArray(list) && Array.isArray(value)) out[name] = list.filter((v) => !value.includes(v));
      continue;
    }
    if (value === null) delete out[key];
    else {
      const merged = strategicMerge(out[key], value, key) as Json | undefined;
      if (merged === undefined) delete out[key];
      else out[key] = merged;
    }
  }
  if (Array.isArray(retain))
    for (const key of Object.keys(out)) if (!retain.includes(key) && !(key in patch)) delete out[key];
  return out;
}

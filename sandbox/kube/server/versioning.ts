// Objects are stored under group + kind; a request names a version. Responses carry the version asked for.
import type { KubeObject } from '../store.ts';
import type { ServedResource } from './registry.ts';

export function groupVersion(r: { group: string; version: string }): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

export function asVersion(obj: KubeObject, r: ServedResource): KubeObject {
  obj.apiVersion = groupVersion(r);
  return obj;
}

// Multi-document YAML manifests to Kubernetes objects. No I/O and nothing but `yaml`, so that the parser thread
// (manifest-parse-thread.ts) loads only this.
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from './client.ts';

/** The objects of one parsed document (a List gives its items); a document with errors is refused. */
export function manifestOf(doc: { errors: Array<{ message: string }>; toJS(): unknown }): KubeObject[] {
  if (doc.errors.length) throw new Error(`manifest is not valid YAML: ${doc.errors[0]!.message}`);
  const obj = doc.toJS() as KubeObject | null;
  if (!obj || typeof obj !== 'object') return [];
  if (obj.kind === 'List' && Array.isArray(obj.items)) return obj.items as KubeObject[];
  return obj.apiVersion && obj.kind ? [obj] : [];
}

export function parseManifests(text: string): KubeObject[] {
  return parseAllDocuments(text).flatMap((doc) => manifestOf(doc));
}

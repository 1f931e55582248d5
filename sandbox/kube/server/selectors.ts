// labelSelector and fieldSelector query parameters, parsed as the API server parses them.
import type { KubeObject } from '../store.ts';
import { badRequest } from './status.ts';

type LabelRequirement =
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists' };

export type Matcher = (obj: KubeObject) => boolean;

/** Splits on commas that are not inside parentheses. */
function splitTerms(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.map((t) => t.trim()).filter((t) => t.length > 0);
}

function parseLabelTerm(term: string): LabelRequirement {
  let m = /^!\s*([^\s=!]+)$/.exec(term);
  if (m) return { key: m[1]!, op: 'notexists' };
  m = /^([^\s=!(]+)\s+(in|notin)\s+\((.*)\)$/.exec(term);
  if (m) return { key: m[1]!, op: m[2] as 'in' | 'notin', values: m[3]!.split(',').map((v) => v.trim()) };
  m = /^([^\s=!]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
  if (m) return { key: m[1]!, op: m[2] === '!=' ? 'neq' : 'eq', value: m[3]! };
  m = /^([^\s=!(]+)$/.exec(term);
  if (m) return { key: m[1]!, op: 'exists' };
  throw badRequest(`unable to parse requirement: found '${term}', expected: in, notin, =, ==, !=, gt, lt`);
}

export function labelsMatch(labels: Record<string, string> | undefined, reqs: LabelRequirement[]): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.hasOwn(l, r.key);
    switch (r.op) {
      case 'eq':
        return has && l[r.key] === r.value;
      case 'neq':
        return !has || l[r.key] !== r.value;
      case 'in':
        return has && r.values.includes(l[r.key]!);
      case 'notin':
        return !has || !r.values.includes(l[r.key]!);
      case 'exists':
        return has;
      case 'notexists':
        return !has;
    }
  });
}

export function parseLabelSelector(text: string | null | undefined): Matcher {
  if (!text) return () => true;
  const reqs = splitTerms(text).map(parseLabelTerm);
  return (obj) => labelsMatch(obj.metadata.labels, reqs);
}

/** Reads a dotted field path such as spec.nodeName from an object. */
function fieldValue(obj: KubeObject, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur === undefined || cur === null ? '' : String(cur);
}

export function parseFieldSelector(text: string | null | undefined): Matcher {
  if (!text) return () => true;
  const reqs = splitTerms(text).map((term) => {
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    return { path: m[1]!.trim(), neq: m[2] === '!=', value: m[3]!.trim() };
  });
  return (obj) => reqs.every((r) => (fieldValue(obj, r.path) === r.value) !== r.neq);
}

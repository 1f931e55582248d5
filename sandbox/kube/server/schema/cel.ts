// CRD validation rules (x-kubernetes-validations) as kube-apiserver evaluates them, with @marcbachmann/cel-js as the
// CEL evaluator (MIT, no dependencies, maintained; the rules in Calico's and Tigera's CRDs use only core CEL: has,
// size, exists, contains, the ternary, and oldSelf). What follows apiextensions-apiserver (schema/cel/validation.go):
// - a rule runs where its field is present, with `self` that value (null fields count as absent) and, at the root,
//   only metadata.name and metadata.generateName visible;
// - transition rules (those naming oldSelf) run only on update, where the old object has the same field; list items
//   correlate with the old list only in map lists, by their keys;
// - ratcheting (CRDValidationRatcheting, on by default since 1.30): on update, a value equal to the old value is
//   not checked again against rules that do not name oldSelf;
// - the error: reason FieldValueForbidden / FieldValueRequired as "Forbidden: msg" / "Required value: msg", else
//   "Invalid value": up to Kubernetes 1.34 followed by the schema type (`Invalid value: "object": msg`, kubernetes
//   PR 107090); from 1.35 by the value itself when it is a string, number or boolean and by nothing otherwise or
//   after a messageExpression (PRs 132798 and 133832, merged after 1.34's freeze); at the root the field is
//   `<nil>`; an evaluation error reads "<error> evaluating rule: <rule>".
// messageExpression is evaluated when it yields a string, else the message or the rule is used.
import { parse } from '@marcbachmann/cel-js';
import { deepEqual } from '../deep-equal.ts';
import type { FieldError } from './crd-validation.ts';
import { childPath, type JsonSchema } from './structural.ts';

interface Rule {
  rule: string;
  message?: string;
  messageExpression?: string;
  reason?: string;
  fieldPath?: string;
}

type Rec = Record<string, unknown>;
type Program = (vars: Rec) => unknown;

const programs = new Map<string, Program>();

function program(source: string): Program {
  let p = programs.get(source);
  if (!p) programs.set(source, (p = parse(source) as Program));
  return p;
}

function isObject(v: unknown): v is Rec {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The value CEL sees: null fields are absent. */
function celValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(celValue);
  if (!isObject(v)) return v;
  const out: Rec = {};
  for (const [k, val] of Object.entries(v)) if (val !== null && val !== undefined) out[k] = celValue(val);
  return out;
}

function typeOf(schema: JsonSchema, value: unknown): string {
  if (schema.type) return schema.type;
  if (Array.isArray(value)) return 'array';
  return typeof value === 'number' ? (Number.isInteger(value) ? 'integer' : 'number') : typeof value;
}

function firstLine(err: unknown): string {
  const text = (err as Error)?.message ?? String(err);
  const line = text.split('\n')[0]!.trim();
  return line.charAt(0).toLowerCase() + line.slice(1);
}

function messageOf(r: Rule, vars: Rec): { detail: string; fromExpression: boolean } {
  if (r.messageExpression) {
    try {
      const m = program(r.messageExpression)(vars);
      if (typeof m === 'string' && m.trim()) return { detail: m, fromExpression: true };
    } catch {
      // The API server falls back to the message (or the rule) when messageExpression fails.
    }
  }
  return { detail: r.message?.trim() || `failed rule: ${r.rule}`, fromExpression: false };
}

/** How "Invalid value" goes on: the type up to 1.34; from 1.35 a simple value, or nothing. */
function shownValue(minor: number, type: string, value: unknown, fromExpression: boolean): string {
  if (minor <= 34) return ` "${type}"`;
  if (fromExpression) return '';
  if (typeof value === 'string') return ` ${JSON.stringify(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return ` ${String(value)}`;
  return '';
}

function errorFor(at: string, shown: string, detail: string, reason: string | undefined): FieldError {
  const field = at || '<nil>';
  if (reason === 'FieldValueForbidden') return { field, message: `Forbidden: ${detail}`, reason };
  if (reason === 'FieldValueRequired') return { field, message: `Required value: ${detail}`, reason };
  const value = shown ? `${shown.trim()}: ` : '';
  return { field, message: `Invalid value: ${value}${detail}`, reason: 'FieldValueInvalid' };
}

function rootView(value: Rec): Rec {
  const meta = isObject(value['metadata']) ? value['metadata'] : {};
  const visible: Rec = {};
  for (const k of ['name', 'generateName']) if (meta[k] !== undefined) visible[k] = meta[k];
  return { ...value, metadata: visible };
}

/** The old item a new list item is compared with: in map lists, the one with the same keys. */
function oldItem(schema: JsonSchema, item: unknown, old: unknown): unknown {
  if (schema['x-kubernetes-list-type'] !== 'map' || !Array.isArray(old) || !isObject(item)) return undefined;
  const keys = schema['x-kubernetes-list-map-keys'] ?? [];
  return old.find((o) => isObject(o) && keys.every((k) => deepEqual(o[k], item[k])));
}

interface Walk {
  /** The cluster's Kubernetes minor version, for the error wording. */
  minor: number;
  out: FieldError[];
}

function check(schema: JsonSchema, value: unknown, old: unknown, path: string, root: boolean, w: Walk) {
  if (value === undefined || value === null) return;
  const rules = (schema['x-kubernetes-validations'] ?? []) as Rule[];
  const unchanged = old !== undefined && deepEqual(value, old);
  for (const r of rules) {
    const transition = /\boldSelf\b/.test(r.rule);
    if (transition && old === undefined) continue;
    if (!transition && unchanged) continue;
    const self = root && isObject(value) ? rootView(celValue(value) as Rec) : celValue(value);
    const vars: Rec = { self };
    if (transition) vars['oldSelf'] = root && isObject(old) ? rootView(celValue(old) as Rec) : celValue(old);
    const at = r.fieldPath ? `${path}${r.fieldPath.startsWith('.') ? '' : '.'}${r.fieldPath}`.replace(/^\./, '') : path;
    let result: unknown;
    try {
      result = program(r.rule)(vars);
    } catch (err) {
      const shown = shownValue(w.minor, typeOf(schema, value), value, false);
      w.out.push(errorFor(at, shown, `${firstLine(err)} evaluating rule: ${r.rule}`, undefined));
      continue;
    }
    if (result === true) continue;
    const { detail, fromExpression } = messageOf(r, vars);
    w.out.push(errorFor(at, shownValue(w.minor, typeOf(schema, value), value, fromExpression), detail, r.reason));
  }
  if (isObject(value)) {
    const oldObj = isObject(old) ? old : undefined;
    for (const [key, sub] of Object.entries(schema.properties ?? {})) {
      if (root && key === 'metadata') continue;
      check(sub, value[key], oldObj?.[key], childPath(path, key), false, w);
    }
    const extra = schema.additionalProperties;
    if (extra && typeof extra === 'object') {
      for (const [key, v] of Object.entries(value)) {
        if (schema.properties?.[key]) continue;
        check(extra, v, oldObj?.[key], `${path}[${key}]`, false, w);
      }
    }
  } else if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) => {
      check(schema.items!, item, oldItem(schema, item, old), `${path}[${i}]`, false, w);
    });
  }
}

/** True when the schema has a rule anywhere (most CRDs have none: skip the walk). */
export function hasRules(schema: JsonSchema): boolean {
  return JSON.stringify(schema).includes('"x-kubernetes-validations"');
}

/** The field errors the CRD's validation rules give for `obj` (and `old`, on update) on Kubernetes 1.`minor`. */
export function celErrors(schema: JsonSchema, obj: Rec, old: Rec | undefined, minor: number): FieldError[] {
  const w: Walk = { minor, out: [] };
  check(schema, obj, old, '', true, w);
  return w.out;
}

// Value validation of custom resources against their CRD's openAPIV3Schema, with ajv doing the JSON Schema
// (types, required, enum, pattern, bounds, formats, anyOf/oneOf/allOf/not) and the Kubernetes extensions mapped
// onto it. Errors are worded as kube-apiserver words them (apiextensions-apiserver's conversion of kube-openapi
// results to field errors). CEL rules (x-kubernetes-validations) are cel.ts's.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { JsonSchema } from './structural.ts';

export interface FieldError {
  field: string;
  message: string;
  reason: string;
}

type Rec = Record<string, unknown>;

const DROPPED = new Set([
  'default',
  'description',
  'example',
  'externalDocs',
  'x-kubernetes-validations',
  '$schema',
  'id',
  'title',
]);

/** Formats kube-apiserver checks for CRDs (strfmt's registry); others (int32, int64, ...) are informational. */
const CIDR4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
function ipv4(s: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  return !!m && m.slice(1).every((p) => Number(p) <= 255);
}
function ipv6(s: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(':')) return false;
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap((h) => (h ? h.split(':') : []));
  return (
    groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g) || ipv4(g)) &&
    (halves.length === 2 ? groups.length < 8 : groups.length === 8)
  );
}
const FORMATS: Record<string, (s: string) => boolean> = {
  'date-time': (s) => /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(s),
  date: (s) => /^\d{4}-\d{2}-\d{2}$/.test(s),
  byte: (s) => /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s),
  ipv4,
  ipv6,
  cidr: (s) => {
    const m = CIDR4.exec(s);
    if (m) return m.slice(1, 5).every((p) => Number(p) <= 255) && Number(m[5]) <= 32;
    const [ip, bits, ...rest] = s.split('/');
    return rest.length === 0 && !!ip && ipv6(ip) && /^\d{1,3}$/.test(bits ?? '') && Number(bits) <= 128;
  },
  uuid: (s) => /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(s),
  hostname: (s) =>
    s.length <= 253 &&
    /^[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*$/.test(s),
  duration: (s) => /^(-?\d+(\.\d+)?\s*(ns|us|µs|ms|s|m|h|d|w)\s*)+$/.test(s),
};

/** The schema as ajv reads it: documentation and defaults gone, int-or-string as its own keyword. */
export function toAjvSchema(node: JsonSchema, root = true): Rec {
  const out: Rec = {};
  for (const [key, value] of Object.entries(node)) {
    if (DROPPED.has(key) || (key.startsWith('x-kubernetes-') && key !== 'x-kubernetes-int-or-string')) continue;
    if (key === 'format' && !(String(value) in FORMATS)) continue;
    if (key === 'properties' && value && typeof value === 'object') {
      const props: Rec = {};
      for (const [name, sub] of Object.entries(value as Record<string, JsonSchema>)) {
        // metadata is ObjectMeta, checked by the API server's own code, not the CRD's schema.
        if (root && name === 'metadata') continue;
        props[name] = toAjvSchema(sub, false);
      }
      out['properties'] = props;
    } else if (
      (key === 'items' || key === 'not' || key === 'additionalProperties') &&
      value &&
      typeof value === 'object'
    ) {
      out[key] = toAjvSchema(value as JsonSchema, false);
    } else if ((key === 'allOf' || key === 'anyOf' || key === 'oneOf') && Array.isArray(value)) {
      out[key] = (value as JsonSchema[]).map((s) => toAjvSchema(s, false));
    } else out[key] = value;
  }
  if (out['x-kubernetes-int-or-string'] === true) {
    // The anyOf [integer, string] that goes with it says the same; one keyword gives one clear error.
    delete out['anyOf'];
    delete out['type'];
  }
  if (out['nullable'] === true && out['type'] === undefined) delete out['nullable'];
  return out;
}

/**
 * CRD patterns are Go (RE2) regular expressions, which the API server runs as such: Calico's use a leading `(?i)`,
 * which JavaScript spells as the i flag.
 */
function goRegExp(pattern: string, flags: string): RegExp {
  let source = pattern;
  let extra = '';
  if (source.includes('(?i)')) {
    source = source.replaceAll('(?i)', '');
    extra = 'i';
  }
  source = source.replaceAll('(?P<', '(?<').replaceAll('\\z', '$').replaceAll('\\A', '^');
  return new RegExp(source, flags + extra);
}
goRegExp.code = 'new RegExp';

function makeAjv(): Ajv {
  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    unicodeRegExp: false,
    validateSchema: false,
    logger: false,
    formats: FORMATS,
    code: { regExp: goRegExp, optimize: false },
  });
  ajv.addKeyword({
    keyword: 'x-kubernetes-int-or-string',
    schemaType: 'boolean',
    errors: false,
    validate: (on: boolean, data: unknown) =>
      !on || typeof data === 'string' || (typeof data === 'number' && Number.isInteger(data)),
  });
  return ajv;
}

let shared: Ajv | undefined;

/** Compiles a CRD version's schema. Slow for big schemas (Installation): callers cache per CRD generation. */
export function compileSchema(schema: JsonSchema): ValidateFunction {
  shared ??= makeAjv();
  return shared.compile(toAjvSchema(schema));
}

function valueAt(data: unknown, pointer: string): { value: unknown; path: string } {
  let cur = data;
  let path = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      path += `[${part}]`;
      cur = cur[Number(part)];
    } else {
      path = path ? `${path}.${part}` : part;
      cur = cur && typeof cur === 'object' ? (cur as Rec)[part] : undefined;
    }
  }
  return { value: cur, path };
}

/** Go's %v of a value in field errors: strings quoted, numbers and booleans bare. */
function shown(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null) return 'null';
  return `"${Array.isArray(v) ? 'array' : 'object'}"`;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function toFieldError(err: ErrorObject, data: unknown): FieldError | undefined {
  const { value, path } = valueAt(data, err.instancePath);
  const p = err.params as Rec;
  switch (err.keyword) {
    case 'required': {
      const field = path ? `${path}.${String(p['missingProperty'])}` : String(p['missingProperty']);
      return { field, message: 'Required value', reason: 'FieldValueRequired' };
    }
    case 'type':
      return {
        field: path,
        message: `Invalid value: "${typeName(value)}": ${path} in body must be of type ${String(p['type'])}: "${typeName(value)}"`,
        reason: 'FieldValueTypeInvalid',
      };
    case 'x-kubernetes-int-or-string':
      return {
        field: path,
        message: `Invalid value: "${typeName(value)}": ${path} in body must be of type integer,string: "${typeName(value)}"`,
        reason: 'FieldValueTypeInvalid',
      };
    case 'enum': {
      const allowed = (p['allowedValues'] as unknown[]).map((a) => shown(a)).join(', ');
      return {
        field: path,
        message: `Unsupported value: ${shown(value)}: supported values: ${allowed}`,
        reason: 'FieldValueNotSupported',
      };
    }
    case 'pattern':
      return {
        field: path,
        message: `Invalid value: ${shown(value)}: ${path} in body should match '${String(p['pattern'])}'`,
        reason: 'FieldValueInvalid',
      };
    case 'format':
      return {
        field: path,
        message: `Invalid value: ${shown(value)}: ${path} in body must be of type ${String(p['format'])}: ${shown(value)}`,
        reason: 'FieldValueInvalid',
      };
    case 'maxLength':
      return {
        field: path,
        message: `Too long: may not be more than ${String(p['limit'])} bytes`,
        reason: 'FieldValueTooLong',
      };
    case 'minLength':
      return {
        field: path,
        message: `Invalid value: ${shown(value)}: ${path} in body should be at least ${String(p['limit'])} chars long`,
        reason: 'FieldValueInvalid',
      };
    case 'maxItems':
      return {
        field: path,
        message: `Too many: ${(value as unknown[]).length}: must have at most ${String(p['limit'])} items`,
        reason: 'FieldValueTooMany',
      };
    case 'minItems':
      return {
        field: path,
        message: `Invalid value: ${(value as unknown[]).length}: ${path} in body should have at least ${String(p['limit'])} items`,
        reason: 'FieldValueInvalid',
      };
    case 'maximum':
    case 'minimum':
    case 'exclusiveMaximum':
    case 'exclusiveMinimum': {
      const words: Record<string, string> = {
        maximum: 'less than or equal to',
        minimum: 'greater than or equal to',
        exclusiveMaximum: 'less than',
        exclusiveMinimum: 'greater than',
      };
      return {
        field: path,
        message: `Invalid value: ${shown(value)}: ${path} in body should be ${words[err.keyword]} ${String(p['limit'])}`,
        reason: 'FieldValueInvalid',
      };
    }
    case 'uniqueItems':
      return {
        field: `${path}[${String(p['i'])}]`,
        message: `Duplicate value: ${shown((value as unknown[])[Number(p['i'])])}`,
        reason: 'FieldValueDuplicate',
      };
    case 'maxProperties':
      return {
        field: path,
        message: `Too many: ${Object.keys(value as Rec).length}: must have at most ${String(p['limit'])} items`,
        reason: 'FieldValueTooMany',
      };
    case 'minProperties':
      return {
        field: path,
        message: `Invalid value: ${Object.keys(value as Rec).length}: ${path} in body should have at least ${String(p['limit'])} properties`,
        reason: 'FieldValueInvalid',
      };
    case 'multipleOf':
      return {
        field: path,
        message: `Invalid value: ${shown(value)}: ${path} in body should be a multiple of ${String(p['multipleOf'])}`,
        reason: 'FieldValueInvalid',
      };
    case 'oneOf':
      return {
        field: path,
        message: `Invalid value: ${shown(value)}: ${path} in body must validate one and only one schema (oneOf)`,
        reason: 'FieldValueInvalid',
      };
    case 'anyOf':
      return {
        field: path,
        message: `Invalid value: ${shown(value)}: ${path} in body must validate at least one schema (anyOf)`,
        reason: 'FieldValueInvalid',
      };
    case 'not':
      return {
        field: path,
        message: `Invalid value: ${shown(value)}: ${path} in body should not validate the schema`,
        reason: 'FieldValueInvalid',
      };
    default:
      return {
        field: path,
        message: `Invalid value: ${shown(value)}: ${err.message ?? 'invalid'}`,
        reason: 'FieldValueInvalid',
      };
  }
}

export function fieldErrors(validate: ValidateFunction, data: unknown): FieldError[] {
  if (validate(data)) return [];
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const err of validate.errors ?? []) {
    // anyOf/oneOf branches report their own failures first; the API server reports the combinator's.
    if (err.schemaPath.includes('/anyOf/') || err.schemaPath.includes('/oneOf/')) continue;
    const fe = toFieldError(err, data);
    if (!fe) continue;
    const key = `${fe.field}\u0000${fe.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(fe);
  }
  return out;
}

// Schema admission as kube-apiserver does it, in its three places:
// - decoding a create/update body or a patched object: unknown fields are refused (fieldValidation=Strict), warned
//   about (Warn, the server's default) or dropped (Ignore); built-in kinds refuse JSON of the wrong type;
// - server-side apply: the applied configuration must fit the schema whatever fieldValidation says;
// - before storing a custom resource: structural defaults, then the openAPIV3Schema's value validation and its
//   CEL rules (x-kubernetes-validations), both 422.
import { createHash } from 'node:crypto';
import type { ValidateFunction } from 'ajv';
import type { KubeObject } from '../../store.ts';
import type { ClusterContext } from '../context.ts';
import type { ServedResource } from '../registry.ts';
import { ApiError, badRequest, invalid } from '../status.ts';
import { type BuiltinWalk, builtinModel, walkBuiltin } from './builtin-schema.ts';
import { celErrors, hasRules } from './cel.ts';
import { compileSchema, fieldErrors } from './crd-validation.ts';
import { ssaPath } from './ssa-path.ts';
import { type JsonSchema, pruneAndDefault, type StructuralResult, scalarMismatches } from './structural.ts';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

type Rec = Record<string, unknown>;

export function fieldValidationOf(url: URL): FieldValidation {
  const v = url.searchParams.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw badRequest(`fieldValidation must be one of "Ignore", "Warn", or "Strict", got "${v}"`);
}

interface CompiledVersion {
  key: string;
  schema: JsonSchema;
  /** Content hash of the schema: clusters that install the same CRDs share one compiled validator. */
  hash: string;
  /** Whether the schema has CEL rules anywhere. */
  rules: boolean;
}

/** One entry per CRD generation and version; a new generation replaces the old one. */
const compiled = new Map<string, CompiledVersion>();
const validators = new Map<string, ValidateFunction>();

function validatorFor(entry: CompiledVersion): ValidateFunction {
  let v = validators.get(entry.hash);
  if (!v) validators.set(entry.hash, (v = compileSchema(entry.schema)));
  return v;
}

const schemaHash = (schema: JsonSchema) => createHash('sha256').update(JSON.stringify(schema)).digest('hex');

/** How many distinct schemas this process has compiled (for tests of the warm-up). */
export function compiledValidators(): number {
  return validators.size;
}

/**
 * Compiles a CRD version's schema ahead of its first custom resource (see warm-validators.ts); the cache is the one
 * validatorFor reads, keyed by content, so a CRD later created with this schema in any cluster finds it compiled.
 */
export function warmValidator(schema: JsonSchema): boolean {
  const hash = schemaHash(schema);
  if (validators.has(hash)) return false;
  validators.set(hash, compileSchema(schema));
  return true;
}

/**
 * The CRD schema that governs a resource. projectcalico.org/v3, served by calico-apiserver, decodes into the same
 * Go types that Calico's crd.projectcalico.org/v1 CRDs are generated from, so the installed v1 CRD of the kind
 * (Open Source or Enterprise, whichever the cluster runs) is its schema.
 */
function governingCrd(ctx: ClusterContext, resource: ServedResource): { crd: KubeObject; version: string } | undefined {
  const calicoV3 = resource.source === 'runtime' && resource.group === 'projectcalico.org' && resource.version === 'v3';
  if (resource.source !== 'crd' && !calicoV3) return undefined;
  const name = calicoV3 ? `${resource.plural}.crd.projectcalico.org` : `${resource.plural}.${resource.group}`;
  const crd = ctx.store.get('apiextensions.k8s.io', 'CustomResourceDefinition', undefined, name);
  return crd ? { crd, version: calicoV3 ? 'v1' : resource.version } : undefined;
}

function crdSchema(ctx: ClusterContext, resource: ServedResource): CompiledVersion | undefined {
  const governing = governingCrd(ctx, resource);
  if (!governing) return undefined;
  const { crd } = governing;
  const versions = ((crd['spec'] as Rec | undefined)?.['versions'] ?? []) as Rec[];
  const version = versions.find((v) => v['name'] === governing.version);
  const schema = (version?.['schema'] as Rec | undefined)?.['openAPIV3Schema'] as JsonSchema | undefined;
  if (!schema) return undefined;
  const slot = `${crd.metadata.uid ?? crd.metadata.name}/${governing.version}`;
  const key = String(crd.metadata.generation ?? 0);
  const hit = compiled.get(slot);
  if (hit && hit.key === key) return hit;
  const hash = schemaHash(schema);
  const entry: CompiledVersion = { key, schema, hash, rules: hasRules(schema) };
  compiled.set(slot, entry);
  return entry;
}

function gvkText(resource: ServedResource): string {
  return `${resource.group}/${resource.version}, Kind=${resource.kind}`;
}

interface Findings {
  unknown: string[];
  typeErrors: BuiltinWalk['typeErrors'];
  errors: StructuralResult['errors'];
}

/** Prunes `obj` in place and says what was unknown or of the wrong type. */
function inspect(ctx: ClusterContext, resource: ServedResource, obj: KubeObject): Findings {
  const schema = crdSchema(ctx, resource);
  if (schema) {
    const out: StructuralResult = { unknown: [], errors: [] };
    pruneAndDefault(obj, schema.schema, '', out, true);
    return { unknown: out.unknown, typeErrors: [], errors: out.errors };
  }
  const model =
    resource.source === 'builtin' ? builtinModel(resource.group, resource.version, resource.kind) : undefined;
  const out: BuiltinWalk = { unknown: [], typeErrors: [] };
  if (model) walkBuiltin(obj as unknown as Rec, model, '', out);
  return { unknown: out.unknown, typeErrors: out.typeErrors, errors: [] };
}

/**
 * The decoding step of create, update and non-apply patches. Returns the warnings to send (fieldValidation=Warn).
 * `patchedFrom` is the stored object a patch was applied to: the API server words patch errors without the
 * decoding prefix, and only what the patch brought in counts (the stand-in's controllers write to the store
 * directly, so a stored object may hold fields a client could not have sent).
 */
export function admitDecoded(
  ctx: ClusterContext,
  resource: ServedResource,
  obj: KubeObject,
  directive: FieldValidation,
  patchedFrom?: KubeObject,
): string[] {
  const found = inspect(ctx, resource, obj);
  const before = patchedFrom ? inspect(ctx, resource, structuredClone(patchedFrom)) : undefined;
  const unknown = before ? found.unknown.filter((f) => !before.unknown.includes(f)) : found.unknown;
  const typeErrors = before
    ? found.typeErrors.filter((t) => !before.typeErrors.some((b) => b.path === t.path))
    : found.typeErrors;
  const prefix = patchedFrom
    ? ''
    : `${resource.kind} in version "${resource.version}" cannot be handled as a ${resource.kind}: `;
  const first = typeErrors[0];
  if (first) {
    throw badRequest(
      `${prefix}json: cannot unmarshal ${first.got} into Go struct field ${first.struct}.${first.path} of type ${first.want}`,
    );
  }
  if (unknown.length === 0 || directive === 'Ignore') return [];
  if (directive === 'Strict')
    throw badRequest(`${prefix}strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`);
  return unknown.map((f) => `unknown field "${f}"`);
}

/**
 * Server-side apply converts the applied configuration to a typed value first, and that refuses fields the
 * schema lacks whatever fieldValidation says; kube-apiserver answers it as an internal error (500).
 */
export function admitApplied(ctx: ClusterContext, resource: ServedResource, applied: KubeObject): void {
  const copy = structuredClone(applied);
  const { unknown, typeErrors } = inspect(ctx, resource, copy);
  const schema = crdSchema(ctx, resource)?.schema;
  const at = (path: string): string => ssaPath(path, applied, schema);
  const numeric = (want: string): boolean => want.startsWith('int') || want === 'float64';
  const scalars: Array<{ path: string; want: string; got: string }> = [];
  if (schema) scalarMismatches(copy, schema, '', scalars);
  const problems = [
    ...unknown.map((f) => `${at(f)}: field not declared in schema`),
    ...scalars.map(
      (m) => `${at(m.path)}: expected ${m.want === 'numeric' ? 'numeric (int or float)' : m.want}, got ${m.got}`,
    ),
    ...typeErrors.map(
      (t) => `${at(t.at)}: expected ${numeric(t.want) ? 'numeric (int or float)' : t.want}, got ${t.got}`,
    ),
  ];
  if (problems.length === 0) return;
  const text = problems.length === 1 ? problems[0]! : `errors:\n  ${problems.join('\n  ')}`;
  const where = `${applied.metadata.namespace ?? ''}/${applied.metadata.name}; ${gvkText(resource)}`;
  throw new ApiError(500, '', `failed to create typed patch object (${where}): ${text}`);
}

/**
 * Before a custom resource is stored: defaults, then value validation against the openAPIV3Schema and its CEL
 * rules (`previous` is the stored object on update, for transition rules and ratcheting). With a status
 * subresource, writes to the main resource are validated without status and status writes with it.
 */
export function admitStored(
  ctx: ClusterContext,
  resource: ServedResource,
  obj: KubeObject,
  subresource?: 'status',
  previous?: KubeObject,
): void {
  const schema = crdSchema(ctx, resource);
  if (!schema) return;
  const structural: StructuralResult = { unknown: [], errors: [] };
  pruneAndDefault(obj, schema.schema, '', structural, true);
  const { metadata: _m, ...data } = obj as Rec;
  const withStatus = !resource.subresources?.includes('status') || subresource === 'status';
  if (!withStatus) delete data['status'];
  const errors = [...structural.errors, ...fieldErrors(validatorFor(schema), data)];
  if (schema.rules) {
    const view = (o: KubeObject): Rec => {
      const { status, ...rest } = o as Rec;
      return withStatus ? { ...rest, status } : rest;
    };
    // The old object as the API server reads it from storage: defaulted, as the new one now is.
    const old = previous ? structuredClone(previous) : undefined;
    if (old) pruneAndDefault(old, schema.schema, '', { unknown: [], errors: [] }, true);
    const minor = Number(ctx.placement.kubernetesVersion.replace(/^v/, '').split('.')[1] ?? 34);
    errors.push(...celErrors(schema.schema, view(obj), old ? view(old) : undefined, minor));
  }
  if (errors.length > 0) throw invalid(resource.group, resource.kind, obj.metadata.name, errors);
}

/** Warnings go back as `Warning: 299 - "<text>"` headers, which kubectl and client-go print. */
export function warningHeaders(warnings: string[]): string[] {
  return warnings.map((w) => `299 - ${JSON.stringify(w)}`);
}

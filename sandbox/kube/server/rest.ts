// The REST verbs on resources: get, list, watch, create, update, patch (merge, JSON, strategic, apply), delete,
// deletecollection, and the status and scale subresources.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { UserInfo } from '../../contracts.ts';
import { type KubeObject, StoreError } from '../store.ts';
import { defaultOnCreate, foldStringData, randomSuffix, validateCrd, validateMeta } from './admission.ts';
import { type ApplyScope, recordUpdate, serverSideApply } from './apply.ts';
import { VIRTUAL_KINDS } from './builtins.ts';
import type { ClusterContext } from './context.ts';
import { deepEqual } from './deep-equal.ts';
import { deleteNamespaceContents } from './gc.ts';
import { parseObject, readBody, readBodyBytes, sendJson } from './http-util.ts';
import { jsonPatch, mergePatch, strategicMerge } from './patch.ts';
import { serveLogs } from './pod-logs.ts';
import { servePodProxy } from './pod-proxy.ts';
import { decodeProtobufObject } from './protobuf.ts';
import type { ServedResource } from './registry.ts';
import type { ResourceRequest } from './request-info.ts';
import { answerReview } from './reviews.ts';
import { fromScale, toScale } from './scale.ts';
import { admitApplied, admitDecoded, admitStored, fieldValidationOf, warningHeaders } from './schema/admit.ts';
import { parseFieldSelector, parseLabelSelector } from './selectors.ts';
import { ApiError, alreadyExists, badRequest, conflict, methodNotAllowed, notFound, pageNotFound } from './status.ts';
import { toTable, wantsTable } from './tables.ts';
import { asVersion, groupVersion } from './versioning.ts';
import { serveWatch } from './watch.ts';

export interface RestCall {
  ctx: ClusterContext;
  info: ResourceRequest;
  resource: ServedResource;
  url: URL;
  user: UserInfo;
  req: IncomingMessage;
  res: ServerResponse;
}

type Rec = Record<string, unknown>;

/** Kubernetes timestamps have whole seconds. */
function nowSeconds(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

export async function handleRest(call: RestCall): Promise<void> {
  const { info, resource } = call;
  if (resource.namespaced && info.namespace === undefined && info.verb !== 'list' && info.verb !== 'watch') {
    throw pageNotFound();
  }
  if (!resource.namespaced && info.namespace !== undefined) throw pageNotFound();
  if (!resource.verbs.includes(info.verb) && !info.subresource) throw methodNotAllowed();
  switch (info.subresource) {
    case undefined:
      return handleMain(call);
    case 'status':
      if (!resource.subresources?.includes('status')) throw pageNotFound();
      return handleStatus(call);
    case 'scale':
      if (!resource.subresources?.includes('scale')) throw pageNotFound();
      return handleScale(call);
    case 'log':
      if (resource.kind !== 'Pod' || info.verb !== 'get') throw pageNotFound();
      return serveLogs(call.ctx, info.namespace ?? '', info.name ?? '', call.url, call.res);
    case 'proxy':
      if (resource.kind !== 'Pod' || info.verb !== 'get') throw pageNotFound();
      return servePodProxy(call.ctx, info.namespace ?? '', info.name ?? '', info.proxyPath ?? '', call.res);
    case 'exec':
      if (resource.kind !== 'Pod') throw pageNotFound();
      throw badRequest('Upgrade request required');
    case 'token':
      if (resource.kind !== 'ServiceAccount' || info.verb !== 'create') throw pageNotFound();
      return requestToken(call);
    case 'finalize':
      if (resource.kind !== 'Namespace' || info.verb !== 'update') throw pageNotFound();
      return handleMain({ ...call, info: { ...info, subresource: undefined } });
    default:
      throw pageNotFound();
  }
}

function hasStatus(r: ServedResource): boolean {
  return !!r.subresources?.includes('status');
}

function fieldManager(call: RestCall): string {
  const explicit = call.url.searchParams.get('fieldManager');
  if (explicit) return explicit;
  const agent = call.req.headers['user-agent'] ?? 'unknown';
  return agent.split('/')[0] || 'unknown';
}

function dryRun(call: RestCall): boolean {
  return call.url.searchParams.getAll('dryRun').includes('All');
}

function send(call: RestCall, code: number, obj: KubeObject): void {
  sendJson(call.res, code, asVersion(obj, call.resource));
}

/** Unknown-field warnings (fieldValidation=Warn) ride on the response, as kube-apiserver sends them. */
function warn(call: RestCall, warnings: string[]): void {
  if (warnings.length > 0) call.res.setHeader('Warning', warningHeaders(warnings));
}

function decoded(call: RestCall, obj: KubeObject, patchedFrom?: KubeObject): void {
  warn(call, admitDecoded(call.ctx, call.resource, obj, fieldValidationOf(call.url), patchedFrom));
}

function getOrThrow(call: RestCall): KubeObject {
  const { ctx, resource, info } = call;
  const obj = ctx.store.get(
    resource.group,
    resource.kind,
    resource.namespaced ? info.namespace : undefined,
    info.name ?? '',
  );
  if (!obj) throw notFound(resource.group, resource.plural, info.name ?? '');
  return obj;
}

async function readObject(call: RestCall, allowYaml = false): Promise<KubeObject> {
  const body =
    contentType(call) === 'application/vnd.kubernetes.protobuf'
      ? decodeProtobufObject(await readBodyBytes(call.req))
      : parseObject(await readBody(call.req), allowYaml);
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw badRequest('the body of the request was in an unknown format');
  const obj = body as KubeObject;
  obj.metadata ??= { name: '' };
  return obj;
}

/** The object's kind and version must be the ones the URL names. */
function checkTypeMatches(call: RestCall, obj: KubeObject, requireKind: boolean): void {
  const expected = groupVersion(call.resource);
  if (obj.apiVersion === undefined && !requireKind) obj.apiVersion = expected;
  if (obj.kind === undefined && !requireKind) obj.kind = call.resource.kind;
  if (!obj.apiVersion || !obj.kind)
    throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(obj).slice(0, 200)}'`);
  const group = obj.apiVersion.includes('/') ? obj.apiVersion.split('/')[0] : '';
  if (group !== call.resource.group || obj.kind !== call.resource.kind) {
    throw badRequest(
      `the API version in the data (${obj.apiVersion}) does not match the expected API version (${expected})`,
    );
  }
  obj.apiVersion = expected;
}

function checkNamespace(call: RestCall, obj: KubeObject): void {
  const { info, resource } = call;
  if (!resource.namespaced) {
    delete obj.metadata.namespace;
    return;
  }
  if (obj.metadata.namespace && obj.metadata.namespace !== info.namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  obj.metadata.namespace = info.namespace;
}

function requireLiveNamespace(call: RestCall, namespace: string | undefined): void {
  if (!call.resource.namespaced || namespace === undefined) return;
  const ns = call.ctx.store.get('', 'Namespace', undefined, namespace);
  if (!ns) throw notFound('', 'namespaces', namespace);
  if (ns.metadata.deletionTimestamp) {
    throw new ApiError(
      403,
      'Forbidden',
      `${call.resource.plural} "${call.info.name ?? ''}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
    );
  }
}

function storeError(call: RestCall, err: unknown, name: string): never {
  if (err instanceof StoreError) {
    if (err.reason === 'NotFound') throw notFound(call.resource.group, call.resource.plural, name);
    if (err.reason === 'AlreadyExists') throw alreadyExists(call.resource.group, call.resource.plural, name);
    throw conflict(call.resource.group, call.resource.plural, name);
  }
  throw err;
}

/* ---------------------------------------------------------------- main resource */

async function handleMain(call: RestCall): Promise<void> {
  switch (call.info.verb) {
    case 'get':
      return sendMaybeTable(call, getOrThrow(call));
    case 'list':
      return list(call);
    case 'watch':
      return watch(call);
    case 'create':
      return create(call);
    case 'update':
      return update(call);
    case 'patch':
      return patch(call);
    case 'delete':
      return remove(call);
    case 'deletecollection':
      return removeCollection(call);
    default:
      throw methodNotAllowed();
  }
}

function sendMaybeTable(call: RestCall, obj: KubeObject): void {
  if (wantsTable(call.req.headers.accept)) {
    const table = toTable(call.resource, [asVersion(obj, call.resource)], {
      resourceVersion: obj.metadata.resourceVersion ?? '',
      includeObject: call.url.searchParams.get('includeObject') ?? 'Metadata',
    });
    return sendJson(call.res, 200, table);
  }
  send(call, 200, obj);
}

function selected(call: RestCall): KubeObject[] {
  const { ctx, resource, info, url } = call;
  const labels = parseLabelSelector(url.searchParams.get('labelSelector'));
  const fields = parseFieldSelector(url.searchParams.get('fieldSelector'));
  return ctx.store
    .list(resource.group, resource.kind, resource.namespaced ? info.namespace : undefined)
    .filter((o) => labels(o) && fields(o));
}

function list(call: RestCall): void {
  const items = selected(call).map((o) => asVersion(o, call.resource));
  const resourceVersion = call.ctx.store.resourceVersion;
  if (wantsTable(call.req.headers.accept)) {
    return sendJson(
      call.res,
      200,
      toTable(call.resource, items, {
        resourceVersion,
        includeObject: call.url.searchParams.get('includeObject') ?? 'Metadata',
      }),
    );
  }
  sendJson(call.res, 200, {
    kind: `${call.resource.kind}List`,
    apiVersion: groupVersion(call.resource),
    metadata: { resourceVersion },
    items,
  });
}

function watch(call: RestCall): void {
  const labels = parseLabelSelector(call.url.searchParams.get('labelSelector'));
  let fieldText = call.url.searchParams.get('fieldSelector');
  if (call.info.name) fieldText = [fieldText, `metadata.name=${call.info.name}`].filter(Boolean).join(',');
  const fields = parseFieldSelector(fieldText);
  serveWatch({
    ctx: call.ctx,
    resource: call.resource,
    namespace: call.resource.namespaced ? call.info.namespace : undefined,
    matches: (o) => labels(o) && fields(o),
    url: call.url,
    table: wantsTable(call.req.headers.accept),
    req: call.req,
    res: call.res,
  });
}

async function create(call: RestCall): Promise<void> {
  const { ctx, resource } = call;
  const obj = await readObject(call);
  checkTypeMatches(call, obj, false);
  if (VIRTUAL_KINDS.has(resource.kind)) return send(call, 201, answerReview(ctx, call.user, obj, call.info.namespace));
  decoded(call, obj);
  checkNamespace(call, obj);
  if (!obj.metadata.name && typeof obj.metadata['generateName'] === 'string')
    obj.metadata.name = `${obj.metadata['generateName']}${randomSuffix()}`;
  requireLiveNamespace(call, obj.metadata.namespace);
  for (const k of ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp'] as const)
    delete obj.metadata[k];
  if (hasStatus(resource) && (resource.source === 'crd' || resource.group === 'apps')) delete obj['status'];
  defaultOnCreate(obj, ctx.ips);
  validateMeta(obj, resource.group);
  if (resource.kind === 'CustomResourceDefinition') validateCrd(obj);
  admitStored(ctx, resource, obj);
  recordUpdate({
    previous: undefined,
    next: obj,
    manager: fieldManager(call),
    apiVersion: groupVersion(resource),
    scope: { hasStatusSubresource: hasStatus(resource) },
  });
  if (ctx.store.get(resource.group, resource.kind, obj.metadata.namespace, obj.metadata.name))
    throw alreadyExists(resource.group, resource.plural, obj.metadata.name);
  if (dryRun(call)) {
    obj.metadata.uid = randomUUID();
    obj.metadata.creationTimestamp = new Date().toISOString();
    return send(call, 201, obj);
  }
  obj.metadata.creationTimestamp = nowSeconds();
  let created: KubeObject;
  try {
    created = ctx.store.create(obj);
  } catch (err) {
    storeError(call, err, obj.metadata.name);
  }
  send(call, 201, created);
}

/** Everything but metadata and status: what a change of bumps metadata.generation. */
function specOf(obj: KubeObject): Rec {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return rest;
}

/**
 * Stores a new version of an existing object: keeps identity, honours the resourceVersion precondition and
 * the status subresource split, bumps generation on spec changes, and finishes deletions once finalizers clear.
 */
function commit(
  call: RestCall,
  current: KubeObject,
  next: KubeObject,
  opts: { subresource?: 'status'; managedFieldsDone?: boolean; status: number },
): void {
  const { ctx, resource } = call;
  const name = current.metadata.name;
  const precondition = next.metadata?.resourceVersion;
  if (precondition && precondition !== current.metadata.resourceVersion)
    throw conflict(resource.group, resource.plural, name);
  if (next.metadata?.name && next.metadata.name !== name) {
    throw badRequest(`the name of the object (${next.metadata.name}) does not match the name on the URL (${name})`);
  }
  let result: KubeObject;
  if (opts.subresource === 'status') {
    result = { ...current, status: next['status'] };
    if (next.metadata?.managedFields && opts.managedFieldsDone)
      result.metadata = { ...current.metadata, managedFields: next.metadata.managedFields };
  } else {
    result = { ...next, apiVersion: current.apiVersion, kind: current.kind };
    result.metadata = {
      ...next.metadata,
      name,
      namespace: current.metadata.namespace,
      uid: current.metadata.uid,
      creationTimestamp: current.metadata.creationTimestamp,
      generation: current.metadata.generation,
    };
    if (current.metadata.deletionTimestamp) result.metadata.deletionTimestamp = current.metadata.deletionTimestamp;
    else delete result.metadata.deletionTimestamp;
    if (hasStatus(resource)) {
      if (current['status'] === undefined) delete result['status'];
      else result['status'] = current['status'];
    }
    foldStringData(result);
    validateMeta(result, resource.group);
  }
  admitStored(ctx, resource, result, opts.subresource, current);
  if (!opts.managedFieldsDone) {
    recordUpdate({
      previous: current,
      next: result,
      manager: fieldManager(call),
      apiVersion: groupVersion(resource),
      scope: {
        hasStatusSubresource: hasStatus(resource),
        ...(opts.subresource ? { subresource: opts.subresource } : {}),
      },
    });
  }
  if (resource.kind === 'CustomResourceDefinition' && !opts.subresource) {
    validateCrd(result);
    result['status'] = {
      ...((current['status'] ?? {}) as Rec),
      acceptedNames: (result['spec'] as Rec | undefined)?.['names'] ?? {},
    };
  }
  const bump = opts.subresource !== 'status' && !deepEqual(specOf(result), specOf(current));
  result.metadata.resourceVersion = current.metadata.resourceVersion;
  if (dryRun(call)) {
    if (bump) result.metadata.generation = (current.metadata.generation ?? 1) + 1;
    return send(call, opts.status, result);
  }
  let stored: KubeObject;
  try {
    stored = ctx.store.update(result, { bumpGeneration: bump });
  } catch (err) {
    storeError(call, err, name);
  }
  if (stored.metadata.deletionTimestamp && !(stored.metadata.finalizers ?? []).length) {
    try {
      ctx.store.delete(resource.group, resource.kind, stored.metadata.namespace, name);
    } catch {
      // already gone
    }
  }
  send(call, opts.status, stored);
}

async function update(call: RestCall): Promise<void> {
  const next = await readObject(call);
  checkTypeMatches(call, next, false);
  decoded(call, next);
  checkNamespace(call, next);
  const current = getOrThrow(call);
  commit(call, current, next, { status: 200 });
}

function contentType(call: RestCall): string {
  return (call.req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

function applyPatch(call: RestCall, base: unknown, patchBody: unknown): KubeObject {
  switch (contentType(call)) {
    case 'application/merge-patch+json':
      return mergePatch(base, patchBody) as KubeObject;
    case 'application/json-patch+json':
      return jsonPatch(base, patchBody) as KubeObject;
    case 'application/strategic-merge-patch+json':
      return strategicMerge(base, patchBody) as KubeObject;
    default:
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`,
      );
  }
}

async function patch(call: RestCall, subresource?: 'status'): Promise<void> {
  if (contentType(call) === 'application/apply-patch+yaml') return apply(call, subresource);
  const text = await readBody(call.req);
  const body = parseObject(text, false);
  const current = getOrThrow(call);
  const patched = applyPatch(call, structuredClone(current), body);
  if (!patched || typeof patched !== 'object') throw badRequest('patch did not produce an object');
  patched.metadata ??= { name: current.metadata.name };
  decoded(call, patched, current);
  // A patch only carries a resourceVersion precondition when the client put one in it.
  const rvInPatch = JSON.stringify(body).includes('"resourceVersion"');
  if (!rvInPatch) patched.metadata.resourceVersion = current.metadata.resourceVersion;
  commit(call, current, patched, { status: 200, ...(subresource ? { subresource } : {}) });
}

async function apply(call: RestCall, subresource?: 'status'): Promise<void> {
  const { ctx, resource, info } = call;
  const manager = call.url.searchParams.get('fieldManager');
  if (!manager)
    throw new ApiError(
      422,
      'Invalid',
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    );
  const applied = await readObject(call, true);
  checkTypeMatches(call, applied, true);
  if (applied.metadata.name && applied.metadata.name !== info.name) {
    throw badRequest(
      `the name of the object (${applied.metadata.name}) does not match the name on the URL (${info.name})`,
    );
  }
  applied.metadata.name = info.name ?? '';
  checkNamespace(call, applied);
  admitApplied(ctx, resource, applied);
  const scope: ApplyScope = { hasStatusSubresource: hasStatus(resource), ...(subresource ? { subresource } : {}) };
  const force = call.url.searchParams.get('force') === 'true';
  const current = ctx.store.get(
    resource.group,
    resource.kind,
    resource.namespaced ? info.namespace : undefined,
    info.name ?? '',
  );
  if (!current) {
    if (subresource) throw notFound(resource.group, resource.plural, info.name ?? '');
    requireLiveNamespace(call, applied.metadata.namespace);
    const obj = serverSideApply({
      current: undefined,
      applied,
      manager,
      force,
      apiVersion: groupVersion(resource),
      scope,
      resource,
    });
    for (const k of ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp'] as const)
      delete obj.metadata[k];
    defaultOnCreate(obj, ctx.ips);
    validateMeta(obj, resource.group);
    if (resource.kind === 'CustomResourceDefinition') validateCrd(obj);
    admitStored(ctx, resource, obj);
    if (dryRun(call)) return send(call, 201, obj);
    obj.metadata.creationTimestamp = nowSeconds();
    let created: KubeObject;
    try {
      created = ctx.store.create(obj);
    } catch (err) {
      storeError(call, err, obj.metadata.name);
    }
    return send(call, 201, created);
  }
  const precondition = applied.metadata.resourceVersion;
  if (precondition && precondition !== current.metadata.resourceVersion)
    throw conflict(resource.group, resource.plural, current.metadata.name);
  const merged = serverSideApply({
    current,
    applied,
    manager,
    force,
    apiVersion: groupVersion(resource),
    scope,
    resource,
  });
  merged.metadata.resourceVersion = current.metadata.resourceVersion;
  commit(call, current, merged, { status: 200, managedFieldsDone: true, ...(subresource ? { subresource } : {}) });
}

interface DeleteOptions {
  propagationPolicy?: string;
  dryRun?: string[];
  preconditions?: { uid?: string; resourceVersion?: string };
}

async function deleteOptions(call: RestCall): Promise<DeleteOptions> {
  const text = await readBody(call.req);
  const opts: DeleteOptions = text.trim() ? ((parseObject(text, false) ?? {}) as DeleteOptions) : {};
  const policy = call.url.searchParams.get('propagationPolicy');
  if (policy) opts.propagationPolicy = policy;
  if (dryRun(call)) opts.dryRun = ['All'];
  return opts;
}

/** Deletes an object as the API server and garbage collector together would, honouring the propagation policy. */
function deleteObject(call: RestCall, current: KubeObject, opts: DeleteOptions): KubeObject {
  const { ctx, resource } = call;
  const { namespace, name, uid } = current.metadata;
  if (opts.preconditions?.uid && opts.preconditions.uid !== uid)
    throw conflict(
      resource.group,
      resource.plural,
      name,
      `Precondition failed: UID in precondition: ${opts.preconditions.uid}, UID in object meta: ${uid}`,
    );
  if (opts.preconditions?.resourceVersion && opts.preconditions.resourceVersion !== current.metadata.resourceVersion)
    throw conflict(resource.group, resource.plural, name);
  if (opts.dryRun?.includes('All')) return current;
  const now = nowSeconds();

  if (resource.group === '' && resource.kind === 'Namespace') {
    if (current.metadata.deletionTimestamp) return current;
    const terminating = ctx.store.mutate('', 'Namespace', undefined, name, (ns) => {
      ns.metadata.deletionTimestamp = now;
      ns['status'] = { ...((ns['status'] ?? {}) as Rec), phase: 'Terminating' };
    })!;
    // The namespace controller empties it, then the namespace goes (shortly after, as on a real cluster).
    setTimeout(() => {
      deleteNamespaceContents(ctx.store, ctx.registry, name);
      try {
        ctx.store.delete('', 'Namespace', undefined, name);
      } catch {
        // already gone
      }
    }, 50);
    return terminating;
  }

  const dependents = uid ? ctx.gc.dependentsOf(uid) : [];
  if (opts.propagationPolicy === 'Orphan') {
    for (const d of dependents) {
      ctx.store.mutate(d.group, d.kind, d.namespace, d.name, (o) => {
        o.metadata.ownerReferences = (o.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
      });
    }
  } else if (opts.propagationPolicy === 'Foreground') {
    const visit = (ownerUid: string): void => {
      for (const d of ctx.gc.dependentsOf(ownerUid)) {
        const obj = ctx.store.get(d.group, d.kind, d.namespace, d.name);
        if (!obj) continue;
        if (obj.metadata.uid) visit(obj.metadata.uid);
        try {
          ctx.store.delete(d.group, d.kind, d.namespace, d.name);
        } catch {
          // already gone
        }
      }
    };
    if (uid) visit(uid);
  }

  if ((current.metadata.finalizers ?? []).length > 0) {
    if (current.metadata.deletionTimestamp) return current;
    return ctx.store.mutate(resource.group, resource.kind, namespace, name, (o) => {
      o.metadata.deletionTimestamp = now;
      o.metadata['deletionGracePeriodSeconds'] = 0;
    })!;
  }
  try {
    return ctx.store.delete(resource.group, resource.kind, namespace, name);
  } catch (err) {
    storeError(call, err, name);
  }
}

async function remove(call: RestCall): Promise<void> {
  const opts = await deleteOptions(call);
  const current = getOrThrow(call);
  const result = deleteObject(call, current, opts);
  send(call, 200, result);
}

async function removeCollection(call: RestCall): Promise<void> {
  const opts = await deleteOptions(call);
  const items = selected(call).map((o) => asVersion(deleteObject(call, o, opts), call.resource));
  sendJson(call.res, 200, {
    kind: `${call.resource.kind}List`,
    apiVersion: groupVersion(call.resource),
    metadata: { resourceVersion: call.ctx.store.resourceVersion },
    items,
  });
}

/* ---------------------------------------------------------------- status and scale */

async function handleStatus(call: RestCall): Promise<void> {
  switch (call.info.verb) {
    case 'get':
      return send(call, 200, getOrThrow(call));
    case 'update': {
      const next = await readObject(call);
      checkTypeMatches(call, next, false);
      decoded(call, next);
      return commit(call, getOrThrow(call), next, { status: 200, subresource: 'status' });
    }
    case 'patch':
      return patch(call, 'status');
    default:
      throw methodNotAllowed();
  }
}

async function handleScale(call: RestCall): Promise<void> {
  const current = getOrThrow(call);
  const { ctx, resource } = call;
  const sendScale = (obj: KubeObject): void => sendJson(call.res, 200, toScale(obj));
  switch (call.info.verb) {
    case 'get':
      return sendScale(current);
    case 'update':
    case 'patch': {
      let scale: KubeObject;
      if (call.info.verb === 'update') scale = await readObject(call);
      else {
        if (contentType(call) === 'application/apply-patch+yaml')
          throw new ApiError(415, 'UnsupportedMediaType', 'apply is not supported on the scale subresource');
        scale = applyPatch(call, toScale(current), parseObject(await readBody(call.req), false));
      }
      const precondition = scale.metadata?.resourceVersion;
      if (call.info.verb === 'update' && precondition && precondition !== current.metadata.resourceVersion)
        throw conflict(call.resource.group, call.resource.plural, current.metadata.name);
      const next = fromScale(current, scale);
      next.metadata.resourceVersion = current.metadata.resourceVersion;
      recordUpdate({
        previous: current,
        next,
        manager: fieldManager(call),
        apiVersion: groupVersion(resource),
        scope: { hasStatusSubresource: true },
      });
      if (dryRun(call)) return sendScale(next);
      const stored = ctx.store.update(next, { bumpGeneration: true });
      return sendScale(stored);
    }
    default:
      throw methodNotAllowed();
  }
}

/* ---------------------------------------------------------------- serviceaccounts/token */

async function requestToken(call: RestCall): Promise<void> {
  const request = await readObject(call);
  const sa = getOrThrow(call);
  sendJson(call.res, 201, call.ctx.tokens.issue(sa, request, 'https://kubernetes.default.svc'));
}

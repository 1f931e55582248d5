// Server-side apply and the managedFields bookkeeping of ordinary writes.
import type { KubeObject } from '../store.ts';
import {
  describePath,
  type FieldPath,
  fromFieldsV1,
  leafPaths,
  type ManagedFieldsEntry,
  mergeApplied,
  pathKey,
  readManagedFields,
  removeAt,
  sameValue,
  skipIdentity,
  toFieldsV1,
  valueAt,
} from './managed-fields.ts';
import { ApiError } from './status.ts';

export interface ApplyScope {
  /** 'status' when applying to the status subresource; otherwise status is left alone if the type has one. */
  subresource?: 'status';
  hasStatusSubresource: boolean;
}

function skipFor(scope: ApplyScope): (names: string[]) => boolean {
  return (names) => {
    if (skipIdentity(names)) return true;
    if (scope.subresource === 'status') return names[0] !== 'status';
    return scope.hasStatusSubresource && names.length === 1 && names[0] === 'status';
  };
}

function entryKey(e: { manager: string; operation: string; subresource?: string }): string {
  return `${e.manager}\u0000${e.operation}\u0000${e.subresource ?? ''}`;
}

/**
 * Applies `applied` (the manager's full intent) onto `current` (absent on create). Returns the object to store.
 * Throws 409 Conflict when the change touches fields another manager owns with a different value, unless forced.
 */
export function serverSideApply(opts: {
  current: KubeObject | undefined;
  applied: KubeObject;
  manager: string;
  force: boolean;
  apiVersion: string;
  scope: ApplyScope;
  resource: { group: string; plural: string };
}): KubeObject {
  const { current, applied, manager, scope } = opts;
  const skip = skipFor(scope);
  const appliedPaths = leafPaths(applied as unknown as Record<string, unknown>, skip);
  const appliedKeys = new Set(appliedPaths.map(pathKey));
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const subresource = scope.subresource;
  const self = { manager, operation: 'Apply' as const, subresource };

  if (!current) {
    const created = structuredClone(applied);
    if (scope.hasStatusSubresource && !subresource) delete created['status'];
    created.metadata.managedFields = [entry(self, opts.apiVersion, now, appliedPaths)];
    return created;
  }

  const entries = readManagedFields(current);
  const others = entries.filter((e) => entryKey(e) !== entryKey(self));
  const mine = entries.find((e) => entryKey(e) === entryKey(self));

  // Conflicts: fields another manager owns that this apply would set to a different value.
  const conflicts: Array<{ manager: string; apiVersion: string; path: FieldPath }> = [];
  const othersPaths = others.map((e) => ({ e, paths: fromFieldsV1(e.fieldsV1) }));
  for (const { e, paths } of othersPaths) {
    for (const p of paths) {
      if (!appliedKeys.has(pathKey(p))) continue;
      if (p[p.length - 1] === '.') continue;
      if (!sameValue(valueAt(current, p), valueAt(applied, p)))
        conflicts.push({ manager: e.manager, apiVersion: e.apiVersion, path: p });
    }
  }
  if (conflicts.length > 0 && !opts.force) throw conflictError(conflicts, opts.resource, current.metadata.name);

  // With force, the conflicting fields change hands.
  const taken = new Set(conflicts.map((c) => pathKey(c.path)));
  const nextOthers: ManagedFieldsEntry[] = [];
  for (const { e, paths } of othersPaths) {
    const kept = paths.filter((p) => !taken.has(pathKey(p)));
    if (kept.length === 0) continue;
    nextOthers.push(kept.length === paths.length ? e : { ...e, fieldsV1: toFieldsV1(kept) });
  }

  // Fields this manager applied before but no longer does, and nobody else owns, are removed.
  const result = structuredClone(current);
  if (mine) {
    const stillOwned = new Set(nextOthers.flatMap((e) => fromFieldsV1(e.fieldsV1).map(pathKey)));
    const dropped = fromFieldsV1(mine.fieldsV1).filter(
      (p) => !appliedKeys.has(pathKey(p)) && !stillOwned.has(pathKey(p)),
    );
    // Deepest first, so removing a list item does not shift the ones after it.
    for (const p of dropped.sort((a, b) => b.length - a.length))
      removeAt(result as unknown as Record<string, unknown>, p);
  }

  let merged: KubeObject;
  if (subresource === 'status')
    merged = { ...result, status: mergeApplied(result['status'], applied['status'], 'status') } as KubeObject;
  else {
    const body = structuredClone(applied) as Record<string, unknown>;
    if (scope.hasStatusSubresource) delete body['status'];
    merged = mergeApplied(result, body) as KubeObject;
    merged.metadata = { ...merged.metadata, name: current.metadata.name, namespace: current.metadata.namespace };
  }
  merged.metadata.managedFields = [...nextOthers, entry(self, opts.apiVersion, now, appliedPaths)];
  return merged;
}

function entry(
  self: { manager: string; operation: 'Apply' | 'Update'; subresource?: string },
  apiVersion: string,
  time: string,
  paths: FieldPath[],
): ManagedFieldsEntry {
  const e: ManagedFieldsEntry = {
    manager: self.manager,
    operation: self.operation,
    apiVersion,
    time,
    fieldsType: 'FieldsV1',
    fieldsV1: toFieldsV1(paths),
  };
  if (self.subresource) e.subresource = self.subresource;
  return e;
}

function conflictError(
  conflicts: Array<{ manager: string; apiVersion: string; path: FieldPath }>,
  resource: { group: string; plural: string },
  name: string,
): ApiError {
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) {
    const head = `conflict with "${c.manager}" using ${c.apiVersion}`;
    byManager.set(head, [...(byManager.get(head) ?? []), describePath(c.path)]);
  }
  const n = conflicts.length;
  let message: string;
  if (n === 1) {
    const [head, paths] = [...byManager][0]!;
    message = `Apply failed with 1 conflict: ${head}: ${paths[0]}`;
  } else {
    message =
      `Apply failed with ${n} conflicts: ` +
      [...byManager]
        .map(
          ([head, paths]) =>
            `${head.replace('conflict with', 'conflicts with')}:\n${paths.map((p) => `- ${p}`).join('\n')}`,
        )
        .join('\n');
  }
  return new ApiError(409, 'Conflict', message, {
    name,
    group: resource.group,
    kind: resource.plural,
    causes: conflicts.map((c) => ({
      reason: 'FieldManagerConflict',
      message: `conflict with "${c.manager}" using ${c.apiVersion}`,
      field: describePath(c.path),
    })),
  });
}

/**
 * Bookkeeping for create/update/patch: the writing manager ("Update" operation) takes the fields it changed,
 * so a later apply by someone else conflicts on them, as on a real server.
 */
export function recordUpdate(opts: {
  previous: KubeObject | undefined;
  next: KubeObject;
  manager: string;
  apiVersion: string;
  scope: ApplyScope;
}): void {
  const { previous, next, scope } = opts;
  const skip = skipFor(scope);
  const paths = leafPaths(next as unknown as Record<string, unknown>, skip);
  const changed = previous
    ? paths.filter((p) => p[p.length - 1] !== '.' && !sameValue(valueAt(previous, p), valueAt(next, p)))
    : paths;
  const entries = previous ? readManagedFields(previous) : [];
  if (changed.length === 0) {
    next.metadata.managedFields = entries;
    return;
  }
  const changedKeys = new Set(changed.map(pathKey));
  const self = { manager: opts.manager, operation: 'Update' as const, subresource: scope.subresource };
  const out: ManagedFieldsEntry[] = [];
  let mine: FieldPath[] = [];
  for (const e of entries) {
    const paths = fromFieldsV1(e.fieldsV1);
    if (entryKey(e) === entryKey(self)) {
      mine = paths;
      continue;
    }
    const kept = paths.filter((p) => !changedKeys.has(pathKey(p)));
    if (kept.length > 0) out.push(kept.length === paths.length ? e : { ...e, fieldsV1: toFieldsV1(kept) });
  }
  const mineKeys = new Set(mine.map(pathKey));
  const union = [...mine, ...changed.filter((p) => !mineKeys.has(pathKey(p)))];
  out.push(entry(self, opts.apiVersion, new Date().toISOString().replace(/\.\d+Z$/, 'Z'), union));
  next.metadata.managedFields = out;
}

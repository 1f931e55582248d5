// Garbage collection by ownerReferences, namespace cleanup, and CRDs becoming served resources — all driven by
// store events, so they follow controllers' direct store writes as well as REST requests.
import type { KubeObject, ObjectStore } from '../store.ts';
import { crdResources } from './crds.ts';
import type { EventHub, HubEvent } from './events.ts';
import type { Registry } from './registry.ts';

interface Ref {
  group: string;
  kind: string;
  namespace: string | undefined;
  name: string;
}

function refKey(r: Ref): string {
  return `${r.group}/${r.kind}/${r.namespace ?? ''}/${r.name}`;
}

export class GarbageCollector {
  /** owner uid -> dependents */
  private readonly dependents = new Map<string, Map<string, Ref>>();
  /** dependent key -> owner uids it points at */
  private readonly ownersOf = new Map<string, string[]>();
  private readonly live = new Set<string>();
  private readonly stopListening: () => void;
  private readonly store: ObjectStore;
  private readonly registry: Registry;

  constructor(store: ObjectStore, hub: EventHub, registry: Registry) {
    this.store = store;
    this.registry = registry;
    this.stopListening = hub.listen((e) => this.onEvent(e));
  }

  stop(): void {
    this.stopListening();
  }

  /** Objects that name this uid among their owners. */
  dependentsOf(uid: string): Ref[] {
    return [...(this.dependents.get(uid)?.values() ?? [])];
  }

  private onEvent(e: HubEvent): void {
    const obj = e.object;
    const ref: Ref = { group: e.group, kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name };
    const key = refKey(ref);
    const uid = obj.metadata.uid ?? '';
    for (const owner of this.ownersOf.get(key) ?? []) this.dependents.get(owner)?.delete(key);
    this.ownersOf.delete(key);
    if (e.type === 'DELETED') {
      this.live.delete(uid);
      this.onDeleted(e, obj);
      return;
    }
    this.live.add(uid);
    const owners = (obj.metadata.ownerReferences ?? []).map((o) => o.uid);
    if (owners.length) this.ownersOf.set(key, owners);
    for (const owner of owners) {
      let deps = this.dependents.get(owner);
      if (!deps) this.dependents.set(owner, (deps = new Map()));
      deps.set(key, ref);
    }
    if (e.group === 'apiextensions.k8s.io' && obj.kind === 'CustomResourceDefinition') this.syncCrd(obj);
  }

  private onDeleted(e: HubEvent, obj: KubeObject): void {
    const uid = obj.metadata.uid ?? '';
    const deps = this.dependents.get(uid);
    this.dependents.delete(uid);
    for (const dep of deps?.values() ?? []) {
      const current = this.store.get(dep.group, dep.kind, dep.namespace, dep.name);
      if (!current) continue;
      const remaining = (current.metadata.ownerReferences ?? []).filter((o) => o.uid !== uid && this.live.has(o.uid));
      if (remaining.length > 0) {
        this.store.mutate(dep.group, dep.kind, dep.namespace, dep.name, (o) => {
          o.metadata.ownerReferences = (o.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
        });
      } else this.collect(dep);
    }
    if (e.group === '' && obj.kind === 'Namespace')
      deleteNamespaceContents(this.store, this.registry, obj.metadata.name);
    if (e.group === 'apiextensions.k8s.io' && obj.kind === 'CustomResourceDefinition') this.dropCrd(obj);
  }

  private collect(ref: Ref): void {
    try {
      this.store.delete(ref.group, ref.kind, ref.namespace, ref.name);
    } catch {
      // already gone
    }
  }

  private syncCrd(crd: KubeObject): void {
    const wanted = crdResources(crd);
    const group = wanted[0]?.group;
    const plural = wanted[0]?.plural;
    for (const r of this.registry.all()) {
      if (
        r.source === 'crd' &&
        r.group === group &&
        r.plural === plural &&
        !wanted.some((w) => w.version === r.version)
      ) {
        this.registry.unregister(r.group, r.version, r.plural);
      }
    }
    for (const def of wanted) this.registry.register(def);
  }

  private dropCrd(crd: KubeObject): void {
    const defs = crdResources(crd);
    for (const def of defs) this.registry.unregister(def.group, def.version, def.plural);
    const first = defs[0];
    if (!first || this.registry.find(first.group, first.kind)) return;
    for (const obj of this.store.list(first.group, first.kind))
      this.collect({
        group: first.group,
        kind: first.kind,
        namespace: obj.metadata.namespace,
        name: obj.metadata.name,
      });
  }
}

/** Deletes every namespaced object in a namespace (what the namespace controller does before the namespace goes). */
export function deleteNamespaceContents(store: ObjectStore, registry: Registry, namespace: string): void {
  for (const k of registry.kinds()) {
    if (!k.namespaced) continue;
    for (const obj of store.list(k.group, k.kind, namespace)) {
      try {
        store.delete(k.group, k.kind, namespace, obj.metadata.name);
      } catch {
        // raced with another delete
      }
    }
  }
}

// In-memory object store of one Kubernetes API stand-in. The REST server and the controllers share it.
// Objects are keyed by API group + kind (not by plural resource), so controllers need not know URL paths.
import { randomUUID } from 'node:crypto';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }>;
  finalizers?: string[];
  managedFields?: unknown[];
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export interface StoreEvent {
  type: WatchEventType;
  object: KubeObject;
}
export type StoreListener = (event: StoreEvent) => void;

/** "apps" from "apps/v1", "" from "v1". */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

export class StoreError extends Error {
  readonly reason: 'NotFound' | 'AlreadyExists' | 'Conflict';
  constructor(reason: 'NotFound' | 'AlreadyExists' | 'Conflict', message: string) {
    super(message);
    this.reason = reason;
  }
}

/**
 * A deep copy of what the store holds: plain objects, arrays and primitives (what JSON bodies and controllers
 * make), copied directly, which costs a fraction of structuredClone's serialise-and-read (the stand-in's largest
 * CPU cost: every controller pass lists pods and nodes); anything else (a Date, a Buffer) by structuredClone.
 */
export function copyOf<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(copyOf) as T;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = copyOf((value as Record<string, unknown>)[key]);
  return out as T;
}

function keyOf(group: string, kind: string, namespace: string | undefined, name: string): string {
  return `${group}/${kind}/${namespace ?? ''}/${name}`;
}

export class ObjectStore {
  private readonly objects = new Map<string, KubeObject>();
  private readonly listeners = new Set<StoreListener>();
  private version = 1;

  get resourceVersion(): string {
    return String(this.version);
  }

  get(group: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const obj = this.objects.get(keyOf(group, kind, namespace, name));
    return obj ? copyOf(obj) : undefined;
  }

  list(group: string, kind: string, namespace?: string): KubeObject[] {
    const prefix = `${group}/${kind}/`;
    const out: KubeObject[] = [];
    for (const [key, obj] of this.objects) {
      if (!key.startsWith(prefix)) continue;
      if (namespace !== undefined && obj.metadata.namespace !== namespace) continue;
      out.push(copyOf(obj));
    }
    return out.sort((a, b) =>
      `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(
        `${b.metadata.namespace ?? ''}/${b.metadata.name}`,
      ),
    );
  }

  create(input: KubeObject): KubeObject {
    const obj = copyOf(input);
    const group = groupOf(obj.apiVersion);
    const key = keyOf(group, obj.kind, obj.metadata.namespace, obj.metadata.name);
    if (this.objects.has(key)) {
      throw new StoreError('AlreadyExists', `${obj.kind} "${obj.metadata.name}" already exists`);
    }
    obj.metadata.uid ??= randomUUID();
    obj.metadata.creationTimestamp ??= new Date().toISOString();
    obj.metadata.generation = 1;
    obj.metadata.resourceVersion = String(++this.version);
    this.objects.set(key, obj);
    this.emit({ type: 'ADDED', object: obj });
    return copyOf(obj);
  }

  /** Replaces the object. A resourceVersion in the input must match the stored one (optimistic concurrency). */
  update(input: KubeObject, opts: { bumpGeneration?: boolean } = {}): KubeObject {
    const obj = copyOf(input);
    const group = groupOf(obj.apiVersion);
    const key = keyOf(group, obj.kind, obj.metadata.namespace, obj.metadata.name);
    const current = this.objects.get(key);
    if (!current) throw new StoreError('NotFound', `${obj.kind} "${obj.metadata.name}" not found`);
    if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== current.metadata.resourceVersion) {
      throw new StoreError(
        'Conflict',
        `Operation cannot be fulfilled on ${obj.kind} "${obj.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    obj.metadata.uid = current.metadata.uid;
    obj.metadata.creationTimestamp = current.metadata.creationTimestamp;
    obj.metadata.generation = (current.metadata.generation ?? 1) + (opts.bumpGeneration ? 1 : 0);
    obj.metadata.resourceVersion = String(++this.version);
    this.objects.set(key, obj);
    this.emit({ type: 'MODIFIED', object: obj });
    return copyOf(obj);
  }

  /** Read-modify-write for controllers: no conflict is possible within one process. */
  mutate(
    group: string,
    kind: string,
    namespace: string | undefined,
    name: string,
    change: (obj: KubeObject) => void,
  ): KubeObject | undefined {
    const current = this.get(group, kind, namespace, name);
    if (!current) return undefined;
    change(current);
    delete current.metadata.resourceVersion;
    return this.update(current);
  }

  delete(group: string, kind: string, namespace: string | undefined, name: string): KubeObject {
    const key = keyOf(group, kind, namespace, name);
    const current = this.objects.get(key);
    if (!current) throw new StoreError('NotFound', `${kind} "${name}" not found`);
    this.objects.delete(key);
    current.metadata.resourceVersion = String(++this.version);
    this.emit({ type: 'DELETED', object: current });
    return copyOf(current);
  }

  /** Listeners run after the change is stored, on a later microtask, so they may write to the store. */
  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: StoreEvent): void {
    const snapshot = { type: event.type, object: copyOf(event.object) };
    for (const listener of this.listeners) queueMicrotask(() => listener(snapshot));
  }
}

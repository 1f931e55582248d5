// The loop every controller of one stand-in runs in: level-triggered reconcile passes over the whole store,
// started by store events and by timers that controllers ask for when something becomes due later.
import type { ControllerEnv, SimClusterHandle } from '../../contracts.ts';
import type { KubeObject } from '../store.ts';
import { groupOf, StoreError } from '../store.ts';

export interface Reconciler {
  name: string;
  reconcile(ctx: ControllerContext): void;
}

export class ControllerContext {
  readonly handle: SimClusterHandle;
  readonly env: ControllerEnv;
  private readonly reconcilers: Reconciler[] = [];
  private pending: NodeJS.Timeout | undefined;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAtMs = Infinity;
  private running = false;
  private again = false;
  private stopped = false;
  private readonly stopHooks: Array<() => void> = [];

  constructor(handle: SimClusterHandle, env: ControllerEnv) {
    this.handle = handle;
    this.env = env;
  }

  get store() {
    return this.handle.store;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  now(): number {
    return Date.now();
  }

  add(reconciler: Reconciler): void {
    this.reconcilers.push(reconciler);
  }

  onStop(hook: () => void): void {
    this.stopHooks.push(hook);
  }

  /** Runs a pass soon; many requests before it starts coalesce into one. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.pass();
    }, 0);
  }

  /** Asks for a pass at (or just after) the given time: how time-based transitions happen. */
  wakeAt(at: number): void {
    if (this.stopped || at >= this.wakeAtMs) return;
    this.wakeAtMs = at;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = undefined;
        this.wakeAtMs = Infinity;
        this.kick();
      },
      Math.max(0, at - this.now()) + 1,
    );
  }

  stop(): void {
    this.stopped = true;
    if (this.pending) clearTimeout(this.pending);
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    for (const hook of this.stopHooks) {
      try {
        hook();
      } catch {
        // one failing hook must not keep the others from running
      }
    }
  }

  private pass(): void {
    if (this.stopped) return;
    this.running = true;
    try {
      for (const r of this.reconcilers) {
        try {
          r.reconcile(this);
        } catch (err) {
          // A conflict or a vanished object means the world moved under us: the next pass sees the new state.
          if (!(err instanceof StoreError)) console.error(`[sandbox ${this.handle.placement.name}] ${r.name}:`, err);
        }
      }
    } finally {
      this.running = false;
    }
    if (this.again) {
      this.again = false;
      this.kick();
    }
  }

  // --- store helpers that write only when something changed, so passes settle ---

  /** Creates the object unless it exists; returns the stored object. */
  ensure(obj: KubeObject): KubeObject {
    const g = groupOfApi(obj.apiVersion);
    const existing = this.store.get(g, obj.kind, obj.metadata.namespace, obj.metadata.name);
    if (existing) return existing;
    return this.store.create(obj);
  }

  /** Writes `status` (or any top-level field set) only when it differs from what is stored. */
  patchIfChanged(obj: KubeObject, change: (o: KubeObject) => void): KubeObject | undefined {
    const g = groupOfApi(obj.apiVersion);
    const current = this.store.get(g, obj.kind, obj.metadata.namespace, obj.metadata.name);
    if (!current) return undefined;
    const next = structuredClone(current);
    change(next);
    if (stableStringify(next) === stableStringify(current)) return current;
    delete next.metadata.resourceVersion;
    return this.store.update(next);
  }

  deleteIfExists(group: string, kind: string, namespace: string | undefined, name: string): void {
    try {
      this.store.delete(group, kind, namespace, name);
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
    }
  }
}

/** "apps" from "apps/v1" (the store keys objects by group). */
export const groupOfApi = groupOf;

/** JSON with object keys sorted: equal content compares equal whatever order fields were written in. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

/** Rendered fields over what is stored: objects merge (so defaults others added survive), arrays and scalars replace. */
export function mergeRendered(stored: unknown, rendered: unknown): unknown {
  if (!rendered || typeof rendered !== 'object' || Array.isArray(rendered)) return structuredClone(rendered);
  if (!stored || typeof stored !== 'object' || Array.isArray(stored)) return structuredClone(rendered);
  const out: Record<string, unknown> = { ...(stored as Record<string, unknown>) };
  for (const [k, v] of Object.entries(rendered as Record<string, unknown>)) out[k] = mergeRendered(out[k], v);
  return out;
}

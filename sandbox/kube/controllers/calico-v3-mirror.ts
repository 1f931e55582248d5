// The Calico API server serves projectcalico.org/v3 resources backed by crd.projectcalico.org/v1 objects. The
// store keeps each apiVersion apart, so while the v3 API is served this keeps the two views of a kind equal:
// a change on either side (create, update, delete) is copied to the other.
import type { KubeObject } from '../store.ts';
import type { ControllerContext, Reconciler } from './runtime.ts';
import { stableStringify } from './runtime.ts';

const CRD = 'crd.projectcalico.org';
const V3 = 'projectcalico.org';

function content(o: KubeObject | undefined): string {
  if (!o) return '';
  return stableStringify({
    labels: o.metadata.labels ?? {},
    annotations: o.metadata.annotations ?? {},
    spec: o.spec ?? null,
  });
}

export class CalicoV3Mirror implements Reconciler {
  readonly name = 'calico-v3-mirror';
  /** What both sides held after the last copy, per kind/namespace/name. */
  private readonly synced = new Map<string, string>();

  reconcile(ctx: ControllerContext): void {
    const kinds = new Set<string>();
    for (const k of [
      'FelixConfiguration',
      'IPPool',
      'RemoteClusterConfiguration',
      'LicenseKey',
      'BGPConfiguration',
      'GlobalNetworkPolicy',
      'NetworkPolicy',
      'Tier',
      'IPReservation',
    ]) {
      if (ctx.handle.api.find(V3, k)) kinds.add(k);
    }
    for (const kind of kinds) {
      const crd = new Map(
        ctx.store.list(CRD, kind).map((o) => [`${o.metadata.namespace ?? ''}/${o.metadata.name}`, o]),
      );
      const v3 = new Map(ctx.store.list(V3, kind).map((o) => [`${o.metadata.namespace ?? ''}/${o.metadata.name}`, o]));
      for (const key of new Set([...crd.keys(), ...v3.keys()])) {
        const id = `${kind}/${key}`;
        const c = crd.get(key);
        const v = v3.get(key);
        const last = this.synced.get(id);
        if (c && v) {
          const cc = content(c);
          const vc = content(v);
          if (cc === vc) {
            this.synced.set(id, cc);
            continue;
          }
          // The side that moved since the last copy wins; on a first meeting the v3 write (the user's) wins.
          if (last !== undefined && vc === last) this.copy(ctx, c, V3, 'v3', v);
          else this.copy(ctx, v, CRD, 'v1', c);
          this.synced.set(id, last !== undefined && vc === last ? cc : vc);
        } else if (c || v) {
          const present = (c ?? v)!;
          if (last !== undefined) {
            // It was on both sides before: the missing side was deleted.
            ctx.deleteIfExists(c ? CRD : V3, kind, present.metadata.namespace, present.metadata.name);
            this.synced.delete(id);
          } else {
            this.copy(ctx, present, c ? V3 : CRD, c ? 'v3' : 'v1', undefined);
            this.synced.set(id, content(present));
          }
        }
      }
    }
  }

  private copy(
    ctx: ControllerContext,
    from: KubeObject,
    group: string,
    version: string,
    existing: KubeObject | undefined,
  ): void {
    if (existing) {
      ctx.patchIfChanged(existing, (o) => {
        o.spec = structuredClone(from.spec);
        o.metadata.labels = structuredClone(from.metadata.labels);
        o.metadata.annotations = structuredClone(from.metadata.annotations);
        if (!o.metadata.labels) delete o.metadata.labels;
        if (!o.metadata.annotations) delete o.metadata.annotations;
      });
      return;
    }
    ctx.store.create({
      apiVersion: `${group}/${version}`,
      kind: from.kind,
      metadata: {
        name: from.metadata.name,
        ...(from.metadata.namespace ? { namespace: from.metadata.namespace } : {}),
        ...(from.metadata.labels ? { labels: structuredClone(from.metadata.labels) } : {}),
        ...(from.metadata.annotations ? { annotations: structuredClone(from.metadata.annotations) } : {}),
      },
      ...(from.spec !== undefined ? { spec: structuredClone(from.spec) } : {}),
    });
  }
}

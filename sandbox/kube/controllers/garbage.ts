// The garbage collector, for the kinds the controllers create: an object whose controlling owner is gone
// (deleted, or replaced by a new object with another uid) is deleted, so deletes cascade as in Kubernetes.
import type { ControllerContext, Reconciler } from './runtime.ts';
import { groupOfApi } from './runtime.ts';

const collected: Array<[string, string]> = [
  ['', 'Pod'],
  ['apps', 'ReplicaSet'],
  ['apps', 'Deployment'],
  ['apps', 'DaemonSet'],
  ['apps', 'StatefulSet'],
  ['', 'ServiceAccount'],
  ['', 'Service'],
  ['', 'ConfigMap'],
  ['crd.projectcalico.org', 'IPPool'],
  ['crd.projectcalico.org', 'FelixConfiguration'],
];

export class GarbageCollector implements Reconciler {
  readonly name = 'garbage-collector';
  reconcile(ctx: ControllerContext): void {
    for (const [group, kind] of collected) {
      for (const obj of ctx.store.list(group, kind)) {
        const owner = (obj.metadata.ownerReferences ?? []).find((r) => r.controller);
        if (!owner) continue;
        const og = groupOfApi(owner.apiVersion);
        const alive =
          ctx.store.get(og, owner.kind, obj.metadata.namespace, owner.name) ??
          ctx.store.get(og, owner.kind, undefined, owner.name);
        if (!alive || alive.metadata.uid !== owner.uid)
          ctx.deleteIfExists(group, kind, obj.metadata.namespace, obj.metadata.name);
      }
    }
  }
}

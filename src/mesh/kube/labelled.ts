// Finding and deleting what meshops made by its labels, kind by kind, in the order given. Owned objects (a
// StatefulSet's pods) go with their owner, so only roots are returned.
import type { Deps } from '../../deps.ts';
import type { KubeApi } from '../../kube/client.ts';
import type { ObjectRef } from './health.ts';
import { meshSelector } from './names.ts';

export interface KindRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
}

interface Listed {
  metadata: { name: string; namespace?: string; ownerReferences?: unknown[] };
}

export async function findLabelled(deps: Deps, client: KubeApi, kinds: KindRef[]): Promise<ObjectRef[]> {
  const lists = await Promise.all(
    kinds.map(async (k) => {
      const opts = { namespace: k.namespace, labelSelector: meshSelector(deps) };
      const items = await client.list<Listed>(k.apiVersion, k.kind, opts);
      return items
        .filter((x) => !x.metadata.ownerReferences?.length)
        .map((i) => ({
          apiVersion: k.apiVersion,
          kind: k.kind,
          name: i.metadata.name,
          namespace: i.metadata.namespace,
        }));
    }),
  );
  return lists.flat();
}

/** Deletes each in order; returns what was deleted (an object already gone is not counted). */
export async function deleteAll(
  client: KubeApi,
  refs: ObjectRef[],
  between: () => Promise<void>,
): Promise<ObjectRef[]> {
  const deleted: ObjectRef[] = [];
  for (const o of refs) {
    if (await client.delete(o.apiVersion, o.kind, o.name, o.namespace)) deleted.push(o);
    await between();
  }
  return deleted;
}

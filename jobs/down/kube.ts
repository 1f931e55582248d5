// The Kubernetes part of `/mesh down`: remove what meshops put in each cluster (workloads, federation), found
// by its labels, before the AWS side deletes the clusters. Clusters that no longer exist get no step.
import { describeCluster } from '../../src/aws/eks.ts';
import type { ClusterSpec } from '../../src/config/spec-types.ts';
import type { Deps } from '../../src/deps.ts';
import { PermanentError } from '../../src/errors.ts';
import { describeEndpoint, eksClusterName } from '../../src/kube/access.ts';
import type { KubeClient } from '../../src/kube/client.ts';
import { leaf, parallel, type Step } from '../../src/steps/step.ts';
import { CALICO_NS, kubeFor, meshSelector } from '../up/kube/common.ts';

/** What meshops makes in a cluster, in the order to delete it: federation first, so typha lets go. */
function kindsToDelete(deps: Deps): Array<{ apiVersion: string; kind: string; namespace?: string }> {
  const ns = deps.spec.workloads.namespace;
  const kinds = [
    { apiVersion: 'projectcalico.org/v3', kind: 'RemoteClusterConfiguration' },
    { apiVersion: 'v1', kind: 'Secret', namespace: CALICO_NS },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', namespace: CALICO_NS },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', namespace: CALICO_NS },
    { apiVersion: 'v1', kind: 'ServiceAccount', namespace: CALICO_NS },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding' },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole' },
    { apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: ns },
    { apiVersion: 'v1', kind: 'Service', namespace: ns },
    { apiVersion: 'v1', kind: 'Pod', namespace: ns },
  ];
  if (ns !== 'default') kinds.push({ apiVersion: 'v1', kind: 'Namespace' });
  return kinds;
}

async function listOurs(deps: Deps, client: KubeClient) {
  const lists = await Promise.all(
    kindsToDelete(deps).map(async (k) => {
      const items = await client.list<{ metadata: { name: string; namespace?: string; ownerReferences?: unknown[] } }>(k.apiVersion, k.kind, { namespace: k.namespace, labelSelector: meshSelector(deps) });
      // Owned objects (the StatefulSet's pods) go with their owner: delete only the roots.
      // A Namespace is listed only when meshops made it (it carries our labels), never one with user objects.
      return items.filter((x) => !x.metadata.ownerReferences?.length).map((i) => ({ apiVersion: k.apiVersion, kind: k.kind, name: i.metadata.name, namespace: i.metadata.namespace }));
    }),
  );
  // Kept in kindsToDelete's order: federation first.
  return lists.flat();
}

export function downKubeStep(deps: Deps, cluster: ClusterSpec): Step {
  return leaf(
    `down/${cluster.name}/kube`,
    `${cluster.name}: delete meshops workloads and federation objects (label meshops.io/mesh=${deps.spec.name})`,
    async (ctx) => {
      const client = await kubeFor(deps, cluster);
      const ours = await listOurs(deps, client);
      for (const o of ours) {
        await client.delete(o.apiVersion, o.kind, o.name, o.namespace);
        await ctx.checkpoint();
      }
      const byKind = new Map<string, number>();
      for (const o of ours) byKind.set(o.kind, (byKind.get(o.kind) ?? 0) + 1);
      return {
        summary: ours.length ? `${cluster.name}: deleted ${[...byKind].map(([k, n]) => `${n} ${k}`).join(', ')}` : `${cluster.name}: nothing of meshops left`,
        changed: ours.length > 0,
      };
    },
    async () => {
      const ours = await listOurs(deps, await kubeFor(deps, cluster));
      return ours.length ? { state: 'exists', detail: `${ours.length} objects labelled meshops.io/mesh=${deps.spec.name}` } : { state: 'missing', detail: 'nothing left' };
    },
  );
}

async function isFailed(deps: Deps, cluster: ClusterSpec): Promise<boolean> {
  const eks = deps.aws.eks(cluster.region);
  const c = await describeCluster(eks, eksClusterName(deps.spec, cluster)).catch(() => undefined);
  return c?.status === 'FAILED';
}

export async function planDownKube(deps: Deps): Promise<Step> {
  const present: ClusterSpec[] = [];
  for (const cluster of deps.spec.clusters) {
    try {
      await describeEndpoint(deps.aws, deps.spec, cluster);
      present.push(cluster);
    } catch (err) {
      // Already gone (or never made): nothing to clean inside it.
      if (err instanceof PermanentError && err.code === 'ResourceNotFoundException') continue;
      // A FAILED cluster never gets an API to clean; deleting the cluster takes what is inside with it.
      if (await isFailed(deps, cluster)) continue;
      // No endpoint yet (still CREATING) or a transient error: keep the step, it will say what is wrong.
      present.push(cluster);
    }
  }
  return parallel(
    'down/kube',
    `delete meshops objects in ${present.map((c) => eksClusterName(deps.spec, c)).join(', ') || 'no cluster'}`,
    present.map((c) => downKubeStep(deps, c)),
  );
}

// The Kubernetes part of `/mesh down`: the `remove` of each kind of the catalogue in each cluster (federation
// first, so typha lets go; then netshoot, the workloads, and a namespace meshops made), found by labels, before
// the AWS side deletes the clusters. Then every Service of type LoadBalancer in the cluster, meshops' or not,
// and a bounded wait until its controller has deleted their load balancers (each would outlive the cluster and
// block the VPC; what is still there when the wait ends, the AWS part deletes). Clusters that no longer exist get
// no step, and one that finishes DELETING after the plan has nothing left to clean.
import { eksClusterName } from '../../src/aws/tags.ts';
import type { ClusterSpec } from '../../src/config/spec-types.ts';
import type { Deps } from '../../src/deps.ts';
import { PermanentError, WaitTimeoutError } from '../../src/errors.ts';
import { describeEndpoint } from '../../src/kube/access.ts';
import type { KubeApi } from '../../src/kube/client.ts';
import { describeCluster } from '../../src/mesh/aws/eks-cluster.ts';
import { waitGone } from '../../src/mesh/aws/load-balancers.ts';
import * as federation from '../../src/mesh/kube/federation.ts';
import type { ObjectRef } from '../../src/mesh/kube/health.ts';
import { deleteAll } from '../../src/mesh/kube/labelled.ts';
import { kubeFor } from '../../src/mesh/kube/names.ts';
import * as netshoot from '../../src/mesh/kube/netshoot.ts';
import * as workloads from '../../src/mesh/kube/workloads.ts';
import { leaf, parallel, type Step, type StepContext } from '../../src/steps/step.ts';

/** How long down waits for a cluster's controller to delete its load balancers before deleting them itself. */
const LOAD_BALANCER_WAIT_MS = 5 * 60_000;

async function loadBalancerServices(client: KubeApi): Promise<ObjectRef[]> {
  const all = await client.list<{ metadata: { name: string; namespace?: string }; spec?: { type?: string } }>(
    'v1',
    'Service',
  );
  return all
    .filter((s) => s.spec?.type === 'LoadBalancer')
    .map((s) => ({ apiVersion: 'v1', kind: 'Service', name: s.metadata.name, namespace: s.metadata.namespace }));
}

/** Deletes the cluster's LoadBalancer Services and waits (bounded) until their load balancers are gone. */
async function removeLoadBalancerServices(
  deps: Deps,
  ctx: StepContext,
  client: KubeApi,
  cluster: ClusterSpec,
): Promise<{ deleted: ObjectRef[]; note: string }> {
  const services = await loadBalancerServices(client);
  const deleted = await deleteAll(client, services, () => ctx.checkpoint());
  const eksName = eksClusterName(deps.spec.name, cluster.name);
  try {
    await waitGone(deps, ctx, cluster.region, new Set([eksName]), LOAD_BALANCER_WAIT_MS);
    return { deleted, note: '' };
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
    return { deleted, note: `; load balancers still there after 5 min (${err.lastSeen}): the AWS part deletes them` };
  }
}

async function findOurs(deps: Deps, client: KubeApi): Promise<ObjectRef[]> {
  const groups = await Promise.all([
    federation.findAll(deps, client),
    netshoot.findAll(deps, client),
    workloads.findAll(deps, client),
    workloads.findNamespace(deps, client),
  ]);
  return groups.flat();
}

/** A cluster that vanished since the plan (it was DELETING): deleting it took what was inside with it. */
function isGone(err: unknown): boolean {
  return err instanceof PermanentError && err.code === 'ResourceNotFoundException';
}

/** The cluster's API, or undefined when the EKS cluster no longer exists. */
async function clientIfThere(deps: Deps, cluster: ClusterSpec): Promise<KubeApi | undefined> {
  try {
    return await kubeFor(deps, cluster);
  } catch (err) {
    if (isGone(err)) return undefined;
    throw err;
  }
}

export function downKubeStep(deps: Deps, cluster: ClusterSpec): Step {
  return leaf(
    `down/${cluster.name}/kube`,
    `${cluster.name}: delete meshops workloads and federation objects (label meshops.io/mesh=${deps.spec.name})`,
    async (ctx) => {
      const client = await clientIfThere(deps, cluster);
      if (!client) return { summary: `${cluster.name}: the EKS cluster is gone, and what was in it`, changed: false };
      const between = () => ctx.checkpoint();
      const deleted = [
        ...(await federation.remove(deps, client, between)),
        ...(await netshoot.remove(deps, client, between)),
        ...(await workloads.remove(deps, client, between)),
        ...(await deleteAll(client, await workloads.findNamespace(deps, client), between)),
      ];
      const lbs = await removeLoadBalancerServices(deps, ctx, client, cluster);
      deleted.push(...lbs.deleted);
      const byKind = new Map<string, number>();
      for (const o of deleted) byKind.set(o.kind, (byKind.get(o.kind) ?? 0) + 1);
      const what = [...byKind].map(([k, n]) => `${n} ${k}`).join(', ');
      return {
        summary: `${deleted.length ? `${cluster.name}: deleted ${what}` : `${cluster.name}: nothing of meshops left`}${lbs.note}`,
        changed: deleted.length > 0,
      };
    },
    async () => {
      const client = await clientIfThere(deps, cluster);
      if (!client) return { state: 'missing', detail: 'the EKS cluster is gone' };
      const ours = [...(await findOurs(deps, client)), ...(await loadBalancerServices(client))];
      return ours.length
        ? {
            state: 'exists',
            detail: `${ours.length} objects (labelled meshops.io/mesh=${deps.spec.name}, or LoadBalancer Services)`,
          }
        : { state: 'missing', detail: 'nothing left' };
    },
  );
}

async function isFailed(deps: Deps, cluster: ClusterSpec): Promise<boolean> {
  const eks = deps.aws.eks(cluster.region);
  const c = await describeCluster(eks, eksClusterName(deps.spec.name, cluster.name)).catch(() => undefined);
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
      if (isGone(err)) continue;
      // A FAILED cluster never gets an API to clean; deleting the cluster takes what is inside with it.
      if (await isFailed(deps, cluster)) continue;
      // No endpoint yet (still CREATING) or a transient error: keep the step, it will say what is wrong.
      present.push(cluster);
    }
  }
  const names = present.map((c) => eksClusterName(deps.spec.name, c.name)).join(', ');
  return parallel(
    'down/kube',
    `delete meshops objects in ${names || 'no cluster'}`,
    present.map((c) => downKubeStep(deps, c)),
  );
}

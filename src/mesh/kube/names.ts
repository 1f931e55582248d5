// The names and labels of everything meshops makes inside a cluster, each built in this one place, and the
// client for a cluster. Every kind of the catalogue (calico, federation, workloads, netshoot) names things here.

import { STATEFULSET_PREFIX } from '../../config/spec.ts';
import type { ClusterSpec } from '../../config/spec-types.ts';
import type { Deps } from '../../deps.ts';
import { type KubeApi, KubeClient, type KubeObject } from '../../kube/client.ts';

export const CALICO_NS = 'calico-system';
export const TIGERA_OPERATOR_NS = 'tigera-operator';
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'meshops' } as const;
export const NETSHOOT = 'netshoot';
export const FEDERATION_SA = 'tigera-federation-remote-cluster';

export function meshLabels(deps: Deps): Record<string, string> {
  return { 'meshops.io/mesh': deps.spec.name, ...MANAGED_BY };
}

/** The workloads' namespace, when it is not default: meshops makes it, labelled, so `down` may delete it. */
export function namespaceObjects(deps: Deps): KubeObject[] {
  const ns = deps.spec.workloads.namespace;
  if (ns === 'default') return [];
  return [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: meshLabels(deps) } }];
}

/** Label selector for everything meshops made for this mesh. */
export function meshSelector(deps: Deps): string {
  return `meshops.io/mesh=${deps.spec.name},app.kubernetes.io/managed-by=meshops`;
}

/** The StatefulSet of a cluster's test workload; also its headless Service and, elsewhere, the federated one. */
export function statefulSetName(cluster: string): string {
  return `${STATEFULSET_PREFIX}${cluster}`;
}

export function podName(cluster: string, ordinal: number): string {
  return `${statefulSetName(cluster)}-${ordinal}`;
}

export function podDnsName(cluster: string, ordinal: number): string {
  return `${podName(cluster, ordinal)}.${statefulSetName(cluster)}`;
}

/** The destination's Secret holding the kubeconfig for reading `source`. */
export function remoteSecretName(source: string): string {
  return `${source}-secret`;
}

export function inSyncLine(source: string): string {
  return `Sending in-sync update for RemoteClusterConfiguration(${source})`;
}

export async function kubeFor(deps: Deps, cluster: ClusterSpec): Promise<KubeApi> {
  return new KubeClient(await deps.kube.forCluster(cluster));
}

export function otherClusters(deps: Deps, cluster: ClusterSpec): ClusterSpec[] {
  return deps.spec.clusters.filter((c) => c.name !== cluster.name);
}

export function clusterNamed(deps: Deps, name: string): ClusterSpec {
  const c = deps.spec.clusters.find((x) => x.name === name);
  if (!c) throw new Error(`no cluster ${name} in mesh ${deps.spec.name}`);
  return c;
}

/** What to tell someone whose cluster cannot join a mesh (Calico Open Source, or Enterprise not up). */
export const ENTERPRISE_HINT =
  'Cluster Mesh (RemoteClusterConfiguration, federated services) needs Calico Enterprise or Calico Cloud. ' +
  'Set `calico.variant: enterprise` in the mesh spec with `calico.manifestBaseUrl`/`calico.version` pointing at the ' +
  'Calico Enterprise manifests, and give the worker CALICO_LICENSE_FILE (the LicenseKey YAML) and ' +
  "CALICO_PULL_SECRET_FILE (the .dockerconfigjson for Tigera's registry); or set `calico.variant: cloud` with " +
  'CALICO_CLOUD_INSTALLER_URL, CALICO_CLOUD_JOIN_URL and one CALICO_CLOUD_TOKEN_<CLUSTER> per cluster.';

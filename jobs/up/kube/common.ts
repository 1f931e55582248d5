// Small things every Kubernetes step shares: a client for a cluster, the meshops labels, Calico names.
import type { ClusterSpec } from '../../../src/config/spec-types.ts';
import type { Deps } from '../../../src/deps.ts';
import { KubeClient } from '../../../src/kube/client.ts';

export const CALICO_NS = 'calico-system';
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'meshops' } as const;

export function meshLabels(deps: Deps): Record<string, string> {
  return { 'meshops.io/mesh': deps.spec.name, ...MANAGED_BY };
}

/** Label selector for everything meshops made for this mesh. */
export function meshSelector(deps: Deps): string {
  return `meshops.io/mesh=${deps.spec.name},app.kubernetes.io/managed-by=meshops`;
}

export async function kubeFor(deps: Deps, cluster: ClusterSpec): Promise<KubeClient> {
  return new KubeClient(await deps.kube.forCluster(cluster));
}

export function otherClusters(deps: Deps, cluster: ClusterSpec): ClusterSpec[] {
  return deps.spec.clusters.filter((c) => c.name !== cluster.name);
}

export function statefulSetName(cluster: string): string {
  return `multi-cluster-rs-${cluster}`;
}

export function podDnsName(cluster: string, ordinal: number): string {
  return `${statefulSetName(cluster)}-${ordinal}.${statefulSetName(cluster)}`;
}

export function inSyncLine(source: string): string {
  return `Sending in-sync update for RemoteClusterConfiguration(${source})`;
}

/** What to tell someone whose cluster cannot join a mesh (Calico Open Source, or Enterprise not up). */
export const ENTERPRISE_HINT =
  'Cluster Mesh (RemoteClusterConfiguration, federated services) needs Calico Enterprise or Calico Cloud. ' +
  'Set `calico.variant: enterprise` in the mesh spec with `calico.manifestBaseUrl`/`calico.version` pointing at the ' +
  'Calico Enterprise manifests, and give the worker CALICO_LICENSE_FILE (the LicenseKey YAML) and ' +
  'CALICO_PULL_SECRET_FILE (the .dockerconfigjson for Tigera\'s registry); or set `calico.variant: cloud` with ' +
  'CALICO_CLOUD_INSTALLER_URL, CALICO_CLOUD_JOIN_URL and CALICO_CLOUD_TOKEN.';

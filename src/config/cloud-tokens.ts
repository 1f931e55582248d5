// Calico Cloud generates its join command for one cluster name ("Connect Cluster": enter a Cluster Name, then a
// unique command), so each cluster of the mesh has its own token, in a variable named after the cluster.

/** CALICO_CLOUD_TOKEN_<CLUSTER>: the spec's cluster name upper-cased, '-' written '_' (`us-east` -> `US_EAST`). */
export function cloudTokenVariable(cluster: string): string {
  return `CALICO_CLOUD_TOKEN_${cluster.toUpperCase().replaceAll('-', '_')}`;
}

// What calico-typha serves on Installation.spec.typhaMetricsPort: Prometheus text with Typha's own metrics and,
// in Calico Enterprise, remote_cluster_connection_status{remote_cluster_name} per RemoteClusterConfiguration
// (0 NotConnecting, 1 Connecting, 2 InSync). Without typhaMetricsPort nothing listens.
import type { PodHttpHandler, SimClusterHandle } from '../../contracts.ts';
import { replicaConnectionStatus } from './federation.ts';
import { isPodRunning } from './pod-status.ts';

export function typhaMetrics(handle: SimClusterHandle): PodHttpHandler {
  return async ({ namespace, pod: name, port, path }) => {
    const pod = handle.store.get('', 'Pod', namespace, name);
    if (!pod || !isPodRunning(pod) || pod.metadata.labels?.['k8s-app'] !== 'calico-typha') return undefined;
    const inst = handle.store.get('operator.tigera.io', 'Installation', undefined, 'default');
    const metricsPort = (inst?.spec as { typhaMetricsPort?: number } | undefined)?.typhaMetricsPort;
    if (!metricsPort || port !== metricsPort) return undefined;
    if (path.replace(/^\/+/, '') !== 'metrics') return { status: 404, body: '404 page not found\n' };
    const remotes = replicaConnectionStatus(handle.endpoint, pod);
    const lines = [
      '# HELP typha_connections_active Number of open client connections.',
      '# TYPE typha_connections_active gauge',
      'typha_connections_active 1',
      '# HELP remote_cluster_connection_status Status of the connection to a remote cluster.',
      '# TYPE remote_cluster_connection_status gauge',
      ...remotes.map((r) => `remote_cluster_connection_status{remote_cluster_name="${r.name}"} ${r.value}`),
    ];
    return { status: 200, body: `${lines.join('\n')}\n`, contentType: 'text/plain; version=0.0.4; charset=utf-8' };
  };
}

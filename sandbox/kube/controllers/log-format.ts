// Log lines in the formats the real components print: Calico's logrus lines and the operator's zap JSON.

function calicoStamp(at: number): string {
  return new Date(at).toISOString().replace('T', ' ').replace('Z', '');
}

/** e.g. `2026-11-25 14:20:01.123 [INFO][7] typha/daemon.go 345: Sending in-sync update ...` */
export function calicoLine(
  source: string,
  message: string,
  opts: { level?: string; pid?: number; at?: number } = {},
): string {
  return `${calicoStamp(opts.at ?? Date.now())} [${opts.level ?? 'INFO'}][${opts.pid ?? 1}] ${source}: ${message}`;
}

export function operatorLine(
  logger: string,
  message: string,
  fields: Record<string, unknown> = {},
  level = 'info',
  at = Date.now(),
): string {
  return JSON.stringify({ level, ts: new Date(at).toISOString(), logger, msg: message, ...fields });
}

/** Startup lines per Calico component, so `kubectl logs` shows something believable. */
export function startupLines(component: string, version: string, nodeName: string): string[] {
  switch (component) {
    case 'calico-node':
      return [
        calicoLine('startup/startup.go 461', `Early log level set to info`),
        calicoLine('startup/utils.go 126', `Using NODENAME environment for node name ${nodeName}`),
        calicoLine('startup/startup.go 190', `Calico node version ${version} starting`),
        calicoLine('startup/startup.go 824', `Using IPv4 address from environment: IP=autodetect`),
        calicoLine(
          'felix/daemon.go 389',
          `Successfully loaded configuration. GOMAXPROCS=4 builddate="" config=&config.Config{...}`,
        ),
        calicoLine('felix/vxlan_mgr.go 693', `VXLAN tunnel device configured`),
        calicoLine('felix/health.go 206', `Overall health status changed: live=true ready=true`),
      ];
    case 'calico-typha':
      return [
        calicoLine(
          'typha/daemon.go 166',
          `Typha starting up GOMAXPROCS=4 buildDate="" gitCommit="" version="${version}"`,
        ),
        calicoLine(
          'typha/daemon.go 358',
          `Loaded configuration from environment config=&config.Config{DatastoreType:"kubernetes", ...}`,
        ),
        calicoLine('syncserver/sync_server.go 404', `Opening TLS listen socket port=5473 pwd="/"`),
        calicoLine('calc/async_calc_graph.go 103', `Calculation graph in-sync with datastore`),
        calicoLine('typha/daemon.go 560', `Typha is in-sync with the datastore; starting to serve clients`),
      ];
    case 'calico-kube-controllers':
      return [
        calicoLine('main.go 105', `Loaded configuration from environment config=&config.Config{LogLevel:"info", ...}`),
        calicoLine('main.go 149', `Ensuring Calico datastore is initialized`),
        calicoLine('main.go 187', `Calico datastore is initialized`),
        calicoLine('controller.go 180', `Starting Node controller`),
      ];
    case 'calico-apiserver':
      return [
        `I${new Date().toISOString().slice(5, 10).replace('-', '')} ${new Date().toISOString().slice(11, 23)}       1 secure_serving.go:213] Serving securely on [::]:5443`,
      ];
    case 'tigera-operator':
      return [
        operatorLine('setup', 'Checking type of cluster', { provider: 'EKS' }),
        operatorLine('setup', 'Starting manager'),
        operatorLine('controller-runtime.metrics', 'Starting metrics server'),
      ];
    default:
      return [];
  }
}

// Calico Cloud's two URLs, as its "Connect Cluster" command uses them (docs.tigera.io/calico-cloud/get-started/
// install-cluster): `kubectl apply -f <installer>/manifests/cc-operator/latest/deploy.yaml`, then
// `curl -H "Authorization: Bearer <token>" <www>/api/managed-cluster/deploy.yaml | kubectl apply -f -`.
// The installer manifest carries the namespace calico-cloud, the Installer CRD (operator.calicocloud.io) and the
// calico-cloud-controller-manager Deployment; the join manifest the cluster's api-key Secret and its Installer.
// What the installer then does in the cluster is sandbox/kube/controllers/calico-cloud.ts.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const INSTALLER_PATH = '/manifests/cc-operator/latest/deploy.yaml';
const JOIN_PATH = '/api/managed-cluster/deploy.yaml';
const INSTALLER_YAML = readFileSync(new URL('cloud/deploy.yaml', import.meta.url), 'utf8');

export interface CalicoCloudService {
  installerUrl: string;
  joinUrl: string;
  /** The bearer token the join URL accepts (what the product's CALICO_CLOUD_TOKEN must be). */
  token: string;
  /** Joins served so far (each a manifest with a fresh api-key). */
  joins(): number;
  stop(): Promise<void>;
}

/** What the join URL returns for the bearer of the token: the api-key Secret and the Installer. */
function joinManifest(apiKey: string): string {
  return [
    'apiVersion: v1',
    'kind: Secret',
    'metadata:',
    '  name: api-key',
    '  namespace: calico-cloud',
    'type: Opaque',
    'stringData:',
    `  apiKey: ${apiKey}`,
    '---',
    'apiVersion: operator.calicocloud.io/v1',
    'kind: Installer',
    'metadata:',
    '  name: default',
    '  namespace: calico-cloud',
    'spec: {}',
    '',
  ].join('\n');
}

export async function startCalicoCloudService(): Promise<CalicoCloudService> {
  const token = `cc-${randomBytes(12).toString('hex')}`;
  let joins = 0;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const yaml = (body: string) => {
      res.writeHead(200, { 'content-type': 'application/x-yaml' });
      res.end(req.method === 'HEAD' ? '' : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'text/plain' });
      return res.end('Method Not Allowed');
    }
    if (path === INSTALLER_PATH) return yaml(INSTALLER_YAML);
    if (path === JOIN_PATH) {
      if (req.headers.authorization !== `Bearer ${token}`) {
        res.writeHead(401, { 'content-type': 'application/json' });
        return res.end('{"error":"unauthorized"}');
      }
      joins++;
      return yaml(joinManifest(`${token}:${randomBytes(8).toString('hex')}`));
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('404: Not Found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    installerUrl: `${base}${INSTALLER_PATH}`,
    joinUrl: `${base}${JOIN_PATH}`,
    token,
    joins: () => joins,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// Calico Cloud's two URLs, as its "Connect Cluster" command uses them (docs.tigera.io/calico-cloud/get-started/
// install-cluster): `kubectl apply -f <installer>/manifests/cc-operator/latest/deploy.yaml`, then
// `curl -H "Authorization: Bearer <token>" <www>/api/managed-cluster/deploy.yaml | kubectl apply -f -`.
// The installer manifest carries the namespace calico-cloud, the Installer CRD (operator.calicocloud.io) and the
// calico-cloud-controller-manager Deployment; the join manifest the cluster's api-key Secret and its Installer.
// The command is generated per cluster: "In the Connect a Cluster dialog, enter a Cluster Name ... Click Connect to
// generate a unique kubectl command" (the Helm form of it shows the api-key next to installer.clusterName). So a
// token is minted for one managed-cluster name (`connectCluster`), and the installer of the cluster that applied
// its join registers with the api-key it carries (`register`), learning the name it has in Calico Cloud
// (Installer status.clusterName). What Calico Cloud answers when a second live cluster registers with a key
// already connected elsewhere is not documented: the refusal below is worded from the docs' "unique" command.
// What the installer then does in the cluster is sandbox/kube/controllers/calico-cloud.ts.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eksClusterName } from '../../src/aws/tags.ts';
import { cloudTokenVariable } from '../../src/config/cloud-tokens.ts';
import type { MeshSpec } from '../../src/config/spec-types.ts';

const INSTALLER_PATH = '/manifests/cc-operator/latest/deploy.yaml';
const JOIN_PATH = '/api/managed-cluster/deploy.yaml';
const INSTALLER_YAML = readFileSync(new URL('cloud/deploy.yaml', import.meta.url), 'utf8');
/** Where a managed cluster's guardian dials the management plane (the docs show `<prefix>.tigera.io:9000`). */
export const MANAGEMENT_CLUSTER_ADDR = 'sandbox-org.tigera.io:9000';

/** The cluster whose installer registers: `live` is false once that cluster is deleted. */
export interface ManagedClusterHolder {
  id: string;
  live(): boolean;
}

export type Registration =
  | { ok: true; clusterName: string; managementClusterAddr: string }
  | { ok: false; message: string };

export interface CalicoCloudService {
  installerUrl: string;
  joinUrl: string;
  /** "Connect Cluster" on the Managed Clusters page: the join token minted for that one cluster name. */
  connectCluster(clusterName: string): string;
  /** Every token minted so far (tests check that none reaches Slack or a log). */
  tokens(): string[];
  /** Joins served so far (each a manifest with the api-key of its managed cluster). */
  joins(): number;
  /** The installer of a cluster registering with the api-key of the join it applied. */
  register(apiKey: string, holder: ManagedClusterHolder): Registration;
  /** The Managed Clusters page: each name, and whether a live cluster is connected as it. */
  managedClusters(): Array<{ name: string; connected: boolean }>;
  stop(): Promise<void>;
}

/** What the join URL returns for the bearer of a cluster's token: the api-key Secret and the Installer. */
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

interface ManagedCluster {
  name: string;
  token: string;
  apiKey: string;
  holder?: ManagedClusterHolder;
}

export async function startCalicoCloudService(): Promise<CalicoCloudService> {
  const byName = new Map<string, ManagedCluster>();
  const find = (pred: (m: ManagedCluster) => boolean) => [...byName.values()].find(pred);
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
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const managed = bearer ? find((m) => m.token === bearer) : undefined;
      if (!managed) {
        res.writeHead(401, { 'content-type': 'application/json' });
        return res.end('{"error":"unauthorized"}');
      }
      joins++;
      return yaml(joinManifest(managed.apiKey));
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('404: Not Found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    installerUrl: `${base}${INSTALLER_PATH}`,
    joinUrl: `${base}${JOIN_PATH}`,
    connectCluster(name) {
      let managed = byName.get(name);
      if (!managed) {
        const id = randomBytes(5).toString('hex');
        managed = {
          name,
          token: `cc-${randomBytes(12).toString('hex')}`,
          apiKey: `${id}:${randomBytes(5).toString('hex')}:${randomBytes(16).toString('hex')}`,
        };
        byName.set(name, managed);
      }
      return managed.token;
    },
    tokens: () => [...byName.values()].map((m) => m.token),
    joins: () => joins,
    register(apiKey, holder) {
      const managed = find((m) => m.apiKey === apiKey);
      if (!managed) return { ok: false, message: 'Calico Cloud refused the api-key: it belongs to no managed cluster' };
      const other = managed.holder;
      if (other && other.id !== holder.id && other.live()) {
        return {
          ok: false,
          message:
            `managed cluster ${managed.name} is already connected to Calico Cloud from another cluster: ` +
            'each cluster needs the join generated for its own name (Managed Clusters, Connect Cluster)',
        };
      }
      managed.holder = holder;
      return { ok: true, clusterName: managed.name, managementClusterAddr: MANAGEMENT_CLUSTER_ADDR };
    },
    managedClusters: () => [...byName.values()].map((m) => ({ name: m.name, connected: !!m.holder?.live() })),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The product's Calico Cloud environment for a spec: one "Connect Cluster" per cluster, by its EKS name. */
export function calicoCloudEnv(service: CalicoCloudService, spec: MeshSpec): Record<string, string> {
  const env: Record<string, string> = {
    CALICO_CLOUD_INSTALLER_URL: service.installerUrl,
    CALICO_CLOUD_JOIN_URL: service.joinUrl,
  };
  for (const c of spec.clusters) {
    env[cloudTokenVariable(c.name)] = service.connectCluster(eksClusterName(spec.name, c.name));
  }
  return env;
}

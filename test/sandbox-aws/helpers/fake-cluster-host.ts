// A stand-in for the Kubernetes side, small enough to see what the gateway asks of it: each started
// cluster is an HTTPS server (self-signed certificate, made with openssl) that answers 200 to anything.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterHost, ClusterPlacement, NodeGroupShape } from '../../../sandbox/contracts.ts';

export type HostEvent =
  | { kind: 'startCluster'; placement: ClusterPlacement }
  | { kind: 'stopCluster'; region: string; name: string }
  | { kind: 'setNodeGroup'; region: string; cluster: string; shape: NodeGroupShape }
  | { kind: 'deleteNodeGroup'; region: string; cluster: string; nodegroup: string };

export interface FakeClusterHost extends ClusterHost {
  events: HostEvent[];
  running(): string[];
  stopAll(): Promise<void>;
}

export function selfSignedCert(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'h3-cert-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=kube-apiserver',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function createFakeClusterHost(): FakeClusterHost {
  const { cert, key } = selfSignedCert();
  const servers = new Map<string, Server>();
  const events: HostEvent[] = [];
  return {
    events,
    running: () => [...servers.keys()],
    async startCluster(placement) {
      events.push({ kind: 'startCluster', placement });
      const server = createServer({ cert, key }, (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ cluster: placement.name }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.set(`${placement.region}/${placement.name}`, server);
      return { endpoint: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, caPem: cert };
    },
    async stopCluster(region, name) {
      events.push({ kind: 'stopCluster', region, name });
      const server = servers.get(`${region}/${name}`);
      servers.delete(`${region}/${name}`);
      if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    setNodeGroup(region, cluster, shape) {
      events.push({ kind: 'setNodeGroup', region, cluster, shape });
    },
    deleteNodeGroup(region, cluster, nodegroup) {
      events.push({ kind: 'deleteNodeGroup', region, cluster, nodegroup });
    },
    async stopAll() {
      for (const [key, server] of servers) {
        servers.delete(key);
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    },
  };
}

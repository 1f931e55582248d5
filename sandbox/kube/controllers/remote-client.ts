// A kubeconfig-driven HTTPS client for the remote cluster a RemoteClusterConfiguration points at: what Typha
// does with the kubeconfig in the cluster access Secret. Errors are worded like Go's client-go ones.
import { Agent, request } from 'node:https';
import { parse } from 'yaml';

export interface RemoteAccess {
  server: string;
  ca?: string;
  token?: string;
  cert?: string;
  key?: string;
  insecure?: boolean;
}

interface Kubeconfig {
  'current-context'?: string;
  contexts?: Array<{ name: string; context: { cluster: string; user: string } }>;
  clusters?: Array<{
    name: string;
    cluster: { server?: string; 'certificate-authority-data'?: string; 'insecure-skip-tls-verify'?: boolean };
  }>;
  users?: Array<{
    name: string;
    user: { token?: string; 'client-certificate-data'?: string; 'client-key-data'?: string };
  }>;
}

/** Parses a kubeconfig; throws with a message saying what is wrong with it. */
export function accessFromKubeconfig(text: string): RemoteAccess {
  let cfg: Kubeconfig;
  try {
    cfg = parse(text) as Kubeconfig;
  } catch (err) {
    throw new Error(`error loading config: couldn't parse kubeconfig: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!cfg || typeof cfg !== 'object') throw new Error('error loading config: kubeconfig is empty');
  const ctxName = cfg['current-context'] ?? cfg.contexts?.[0]?.name;
  const context = cfg.contexts?.find((c) => c.name === ctxName)?.context;
  if (!context) throw new Error(`invalid configuration: context "${ctxName ?? ''}" does not exist`);
  const cluster = cfg.clusters?.find((c) => c.name === context.cluster)?.cluster;
  if (!cluster?.server) throw new Error(`invalid configuration: no server found for cluster "${context.cluster}"`);
  const user = cfg.users?.find((u) => u.name === context.user)?.user ?? {};
  const dec = (v?: string) => (v ? Buffer.from(v, 'base64').toString('utf8') : undefined);
  return {
    server: cluster.server.replace(/\/+$/, ''),
    ca: dec(cluster['certificate-authority-data']),
    insecure: cluster['insecure-skip-tls-verify'] === true,
    token: user.token,
    cert: dec(user['client-certificate-data']),
    key: dec(user['client-key-data']),
  };
}

export class RemoteError extends Error {
  readonly kind: 'unauthorized' | 'forbidden' | 'connection' | 'tls' | 'other';
  constructor(kind: RemoteError['kind'], message: string) {
    super(message);
    this.kind = kind;
  }
}

/** Keep-alive connections per remote, like client-go's shared transport; destroyed when the sync stops. */
export function remoteAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: 4 });
}

export async function remoteList(
  access: RemoteAccess,
  path: string,
  agent?: Agent,
  timeoutMs = 3_000,
): Promise<{ items: Array<Record<string, unknown>> }> {
  const url = new URL(access.server + path);
  if (url.protocol !== 'https:')
    throw new RemoteError('other', `Get "${url}": unsupported protocol scheme "${url.protocol.replace(':', '')}"`);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'GET',
        agent,
        headers: { accept: 'application/json', ...(access.token ? { authorization: `Bearer ${access.token}` } : {}) },
        ca: access.ca,
        cert: access.cert,
        key: access.key,
        rejectUnauthorized: !access.insecure,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          let parsed: { message?: string; items?: Array<Record<string, unknown>> } = {};
          try {
            parsed = JSON.parse(body);
          } catch {
            // not JSON: keep the status code
          }
          if (res.statusCode === 200 && Array.isArray(parsed.items)) return resolve({ items: parsed.items });
          if (res.statusCode === 401) return reject(new RemoteError('unauthorized', 'Unauthorized'));
          if (res.statusCode === 403)
            return reject(new RemoteError('forbidden', parsed.message ?? `forbidden: ${path}`));
          reject(
            new RemoteError(
              'other',
              `the server responded with status ${res.statusCode} to GET ${path}: ${parsed.message ?? body.slice(0, 200)}`,
            ),
          );
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => {
      const where = `Get "${url}"`;
      if (err.code === 'ECONNREFUSED')
        reject(new RemoteError('connection', `${where}: dial tcp ${url.host}: connect: connection refused`));
      else if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN')
        reject(new RemoteError('connection', `${where}: dial tcp: lookup ${url.hostname}: no such host`));
      else if (err.message === 'timeout')
        reject(new RemoteError('connection', `${where}: dial tcp ${url.host}: i/o timeout`));
      else if (/certificate|self[- ]signed|CERT_|UNABLE_TO/.test(`${err.code} ${err.message}`))
        reject(
          new RemoteError(
            'tls',
            `${where}: tls: failed to verify certificate: x509: certificate signed by unknown authority`,
          ),
        );
      else reject(new RemoteError('other', `${where}: ${err.message}`));
    });
    req.end();
  });
}

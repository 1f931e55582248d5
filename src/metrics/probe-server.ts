// The worker role's own HTTP port: probes (/healthz, /readyz) and, when given, Prometheus scrapes (/metrics).
// The web role serves the same paths from its Bolt app; a worker-only process has no other HTTP server.
import { createServer, type Server } from 'node:http';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { errorMessage } from '../errors.ts';

export interface ProbeServerOptions {
  port: number;
  redis: Redis;
  log: Logger;
  /** Renders the metrics in Prometheus text format, with its content type. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
}

export interface ProbeServer {
  server: Server;
  stop(): Promise<void>;
}

export async function startProbeServer(opts: ProbeServerOptions): Promise<ProbeServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return void res.writeHead(405, { allow: 'GET' }).end();
    if (path === '/healthz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    if (path === '/readyz') {
      // The shared connection queues commands while Redis is away: give up after 2 s instead of hanging.
      const answer =
        opts.redis.status === 'ready'
          ? opts.redis.ping()
          : Promise.reject(new Error(`connection ${opts.redis.status}`));
      Promise.race([answer, rejectAfter(2000, 'no answer from Redis within 2 s')])
        .then(() => res.writeHead(200, { 'content-type': 'text/plain' }).end('ready'))
        .catch((err: unknown) =>
          res.writeHead(503, { 'content-type': 'text/plain' }).end(`redis unreachable: ${errorMessage(err)}`),
        );
      return;
    }
    if (path === '/metrics' && opts.metrics) {
      opts
        .metrics()
        .then((m) => res.writeHead(200, { 'content-type': m.contentType }).end(m.body))
        .catch((err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(errorMessage(err)));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, () => resolve());
  });
  opts.log.info({ port: opts.port }, 'worker probe server listening');
  return {
    server,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function rejectAfter(ms: number, message: string): Promise<never> {
  return new Promise((_resolve, reject) => setTimeout(() => reject(new Error(message)), ms).unref());
}

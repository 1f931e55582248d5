// A recording pass-through in front of the sandbox's AWS gateway, for the bot's EC2 and EKS calls only
// (AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL_EKS, which the SDK honours before AWS_ENDPOINT_URL): every call with its
// time, region, action and the resource it names, so a benchmark can tell how often one resource is described.
// STS (EKS tokens) and IAM keep going to the gateway directly.
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { matchEksRoute } from '../sandbox/aws/eks-routes.ts';

export interface RecordedCall {
  atMs: number;
  service: string;
  region: string;
  action: string;
  /** What identifies the request's target: the query parameters (EC2) or the path (EKS). */
  resource: string;
  /** How long the gateway took to answer, once it has. */
  ms?: number;
}

export interface AwsRecorder {
  url: string;
  calls: RecordedCall[];
  /** Where to forward; set once the gateway listens (the bot makes no AWS call before its first command). */
  setTarget(url: string): void;
  close(): Promise<void>;
}

const SCOPE = /Credential=[^/,\s]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/;

function describe(msg: IncomingMessage, body: Buffer): Omit<RecordedCall, 'atMs'> {
  const url = new URL(msg.url ?? '/', 'http://recorder.invalid');
  const scope = SCOPE.exec(String(msg.headers.authorization ?? ''));
  const region = scope?.[1] ?? '?';
  const service = scope?.[2] ?? '?';
  if (service === 'eks')
    return {
      service,
      region,
      action: matchEksRoute(msg.method ?? 'GET', url.pathname)?.operation ?? '?',
      resource: url.pathname,
    };
  const form = new URLSearchParams(body.toString('utf8'));
  const action = form.get('Action') ?? url.searchParams.get('Action') ?? '?';
  const params = [...form.entries()]
    .filter(([k]) => k !== 'Action' && k !== 'Version')
    .sort(([a], [b]) => a.localeCompare(b));
  return { service, region, action, resource: params.map(([k, v]) => `${k}=${v}`).join('&') };
}

export async function startAwsRecorder(): Promise<AwsRecorder> {
  let target: URL | undefined;
  const calls: RecordedCall[] = [];
  const server = createServer((msg: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    msg.on('data', (c: Buffer) => chunks.push(c));
    msg.on('end', () => {
      const body = Buffer.concat(chunks);
      const call: RecordedCall = { atMs: Date.now(), ...describe(msg, body) };
      calls.push(call);
      if (!target) {
        res.writeHead(503).end();
        return;
      }
      // Headers as signed (Host included): the gateway and moto do not check signatures against their own host.
      const up = request(
        { host: target.hostname, port: target.port, method: msg.method, path: msg.url, headers: msg.headers },
        (reply) => {
          res.writeHead(reply.statusCode ?? 502, reply.headers);
          reply.on('end', () => {
            call.ms = Date.now() - call.atMs;
          });
          reply.pipe(res);
        },
      );
      up.on('error', () => res.headersSent || res.writeHead(502).end());
      up.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    setTarget: (u) => {
      target = new URL(u);
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/**
 * Per describe-type call on one resource: the most calls inside any window of `windowMs` (half-open), and the
 * shortest gap between two calls.
 */
export function describeRates(
  calls: RecordedCall[],
  windowMs: number,
): Array<{ key: string; count: number; maxInWindow: number; minGapMs: number; medianGapMs: number }> {
  const byKey = new Map<string, number[]>();
  for (const c of calls) {
    if (!/^(Describe|List|Get)/.test(c.action)) continue;
    const key = `${c.service}:${c.action} ${c.region} ${c.resource}`;
    byKey.set(key, [...(byKey.get(key) ?? []), c.atMs]);
  }
  return [...byKey.entries()].map(([key, times]) => {
    times.sort((a, b) => a - b);
    let maxInWindow = 0;
    let minGapMs = Infinity;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= windowMs) j++;
      maxInWindow = Math.max(maxInWindow, i - j + 1);
      if (i > 0) minGapMs = Math.min(minGapMs, times[i]! - times[i - 1]!);
    }
    const gaps = times
      .slice(1)
      .map((t, i) => t - times[i]!)
      .sort((a, b) => a - b);
    return {
      key,
      count: times.length,
      maxInWindow,
      minGapMs,
      medianGapMs: gaps.length ? gaps[Math.floor(gaps.length / 2)]! : Infinity,
    };
  });
}

// Passes a request to moto unchanged (method, path, query, headers, body) and brings the whole answer back,
// so the gateway can rewrite it before the caller sees it.
import { request } from 'node:http';
import type { HttpReply } from './aws-errors.ts';

export interface ForwardInput {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

// Hop-by-hop headers, and the length we recompute.
const DROP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'upgrade',
  'proxy-connection',
]);
// moto's web server names itself; AWS endpoints do not say Werkzeug.
const DROP_FROM_REPLY = new Set([...DROP, 'server']);

export function forwardToMoto(motoEndpoint: string, input: ForwardInput): Promise<HttpReply> {
  const target = new URL(motoEndpoint);
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(input.headers)) if (v !== undefined && !DROP.has(k)) headers[k] = v;
  if (input.body.length > 0 || ['POST', 'PUT', 'PATCH'].includes(input.method))
    headers['content-length'] = String(input.body.length);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: target.hostname, port: target.port, method: input.method, path: input.url, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const out: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) {
            if (v === undefined || DROP_FROM_REPLY.has(k)) continue;
            out[k] = Array.isArray(v) ? v.join(', ') : v;
          }
          resolve({ status: res.statusCode ?? 502, headers: out, body: Buffer.concat(chunks) });
        });
      },
    );
    req.setTimeout(60_000, () => req.destroy(new Error('moto did not answer within 60 s')));
    req.on('error', reject);
    req.end(input.body);
  });
}

// One HTTP request to a cluster's API server, authenticated by whatever the KubeConfig holds (our EKS token
// authenticator, a service-account token...). Raw REST keeps apply, discovery and errors in one predictable shape.
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { PermanentError } from '../errors.ts';
import { timedKubeRequest } from '../metrics/kube.ts';
import { noteAnswer } from './answered.ts';

export interface KubeRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Return the body as text (pod logs). */
  text?: boolean;
}

/** A Status the API server answered with (or a transport failure, code 0). */
export class KubeApiError extends Error {
  readonly code: number;
  readonly reason: string;
  constructor(code: number, reason: string, message: string) {
    super(message);
    this.name = 'KubeApiError';
    this.code = code;
    this.reason = reason;
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof KubeApiError && err.code === 404;
}

const STALE_SOCKET = new Set(['ECONNRESET', 'EPIPE']);
/** How long an idle kept-alive connection stays open: below the usual API servers' idle timeouts. */
const IDLE_SOCKET_MS = 15_000;
const keptAlive = new WeakMap<https.Agent, https.Agent>();

/**
 * The client library's agent for a kubeconfig (one per kubeconfig) does not keep connections alive: every
 * request paid a TCP and TLS handshake, on both ends (hundreds for an install's CRDs). The same TLS options with
 * keep-alive, one per library agent; a proxy's agent is left as it is.
 */
function keepAliveAgent(agent: https.RequestOptions['agent']): https.RequestOptions['agent'] {
  if (!(agent instanceof https.Agent)) return agent;
  if (agent.constructor !== https.Agent || (agent as { keepAlive?: boolean }).keepAlive) return agent;
  let kept = keptAlive.get(agent);
  if (!kept) {
    kept = new https.Agent({ ...agent.options, keepAlive: true, timeout: IDLE_SOCKET_MS });
    keptAlive.set(agent, kept);
  }
  return kept;
}

export async function kubeRequest<T = unknown>(kc: KubeConfig, req: KubeRequest): Promise<T> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeApiError(0, 'NoCluster', 'the KubeConfig has no current cluster');
  const url = new URL(cluster.server.replace(/\/$/, '') + req.path);
  for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));

  const opts: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(opts);
  const payload =
    req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
  const headers: Record<string, string> = {
    ...(opts.headers as Record<string, string> | undefined),
    accept: req.text ? '*/*' : 'application/json',
  };
  if (payload !== undefined) {
    headers['content-type'] = req.contentType ?? 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  const transport = url.protocol === 'http:' ? http : https;
  const timeoutMs = req.timeoutMs ?? 30_000;

  const agent = url.protocol === 'http:' ? undefined : keepAliveAgent(opts.agent);
  const send = (retried: boolean): Promise<{ status: number; body: string }> =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const r = transport.request(
        url,
        {
          ...opts,
          agent,
          method: req.method,
          headers,
          signal: req.signal,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      r.setTimeout(timeoutMs, () => r.destroy(new Error(`no answer from ${url.host} within ${timeoutMs} ms`)));
      r.on('error', (e: NodeJS.ErrnoException) => {
        // A kept-alive connection the server closed as we reused it: once more on a new one (not a POST, which
        // may have been acted on).
        if (!retried && r.reusedSocket && req.method !== 'POST' && STALE_SOCKET.has(e.code ?? '')) {
          resolve(send(true));
          return;
        }
        reject(new KubeApiError(0, 'Unreachable', `${req.method} ${req.path} on ${url.host}: ${e.message}`));
      });
      if (payload !== undefined) r.write(payload);
      r.end();
    });
  const { status, body } = await timedKubeRequest(kc, req.method, req.path, send(false));
  noteAnswer(kc, Date.now());

  if (status >= 200 && status < 300) {
    if (req.text) return body as T;
    return (body ? JSON.parse(body) : undefined) as T;
  }
  let reason = http.STATUS_CODES[status] ?? 'Error';
  let message = body.slice(0, 500);
  try {
    const s = JSON.parse(body) as { reason?: string; message?: string };
    reason = s.reason ?? reason;
    message = s.message ?? message;
  } catch {
    /* not a Status: keep the raw text */
  }
  const text = `${req.method} ${req.path}: ${status} ${reason}: ${message}`;
  // What a retry cannot fix: missing rights, or an object the API refuses as written.
  if (status === 403) {
    throw new PermanentError(text, {
      code: 'Forbidden',
      hint: "the worker's AWS identity lacks Kubernetes rights in this cluster: give it an EKS access entry with AmazonEKSClusterAdminPolicy (the identity that created the cluster has one when bootstrapClusterCreatorAdminPermissions is true)",
    });
  }
  if (status === 422 || status === 400 || isApplySchemaError(status, message))
    throw new PermanentError(text, { code: 'Invalid', hint: 'the API server refused the object as written' });
  throw new KubeApiError(status, reason, text);
}

/**
 * Server-side apply refuses a field the schema lacks with a 500, not a 422, whatever fieldValidation says
 * ("failed to create typed patch object ...: .spec.x: field not declared in schema"; kubernetes#122480):
 * retrying it can never succeed.
 */
function isApplySchemaError(status: number, message: string): boolean {
  return status === 500 && /failed to create typed patch object|field not declared in schema/.test(message);
}

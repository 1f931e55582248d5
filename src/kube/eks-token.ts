// An EKS bearer token, minted the way aws-iam-authenticator does it: a presigned STS GetCallerIdentity URL that
// carries the cluster name in the signed header x-k8s-aws-id. No aws CLI, no kubeconfig exec plugin.
import { Sha256 } from '@aws-crypto/sha256-js';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

/** EKS accepts a token for 15 minutes from its X-Amz-Date, whatever X-Amz-Expires says. */
export const EKS_TOKEN_LIFETIME_MS = 15 * 60_000;

export interface EksToken {
  token: string;
  /** When it was signed (X-Amz-Date). */
  issuedAt: number;
  expiresAt: number;
}

export interface MintOptions {
  clusterName: string;
  region: string;
  /** Defaults to the SDK's default chain (env, profile, web identity, container/instance role). */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Defaults to the SDK's endpoint env conventions, then the regional STS endpoint. */
  stsEndpoint?: string;
  now?: number;
}

/** The STS endpoint the SDK itself would use: AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, then the regional one. */
export function stsEndpointFor(region: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.AWS_ENDPOINT_URL_STS ?? env.AWS_ENDPOINT_URL ?? `https://sts.${region}.amazonaws.com`;
}

export async function mintEksToken(opts: MintOptions): Promise<EksToken> {
  const endpoint = new URL(opts.stsEndpoint ?? stsEndpointFor(opts.region));
  const now = opts.now ?? Date.now();
  const signer = new SignatureV4({
    service: 'sts',
    region: opts.region,
    credentials: opts.credentials ?? defaultProvider(),
    sha256: Sha256,
  });
  const request = new HttpRequest({
    method: 'GET',
    protocol: endpoint.protocol,
    hostname: endpoint.hostname,
    port: endpoint.port ? Number(endpoint.port) : undefined,
    path: endpoint.pathname.replace(/\/?$/, '/'),
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
    headers: { host: endpoint.host, 'x-k8s-aws-id': opts.clusterName },
  });
  const signed = await signer.presign(request, { expiresIn: 60, signingDate: new Date(now) });
  const url = presignedUrl(signed);
  const amzDate = String(signed.query?.['X-Amz-Date'] ?? '');
  const issuedAt = parseAmzDate(amzDate) ?? now;
  return {
    token: `k8s-aws-v1.${Buffer.from(url, 'utf8').toString('base64url').replace(/=+$/, '')}`,
    issuedAt,
    expiresAt: issuedAt + EKS_TOKEN_LIFETIME_MS,
  };
}

/** The URL inside a token (for tests and for explaining a refused token; it holds no secret key). */
export function decodeEksToken(token: string): URL {
  const prefix = 'k8s-aws-v1.';
  if (!token.startsWith(prefix)) throw new Error('not an EKS token (missing k8s-aws-v1. prefix)');
  return new URL(Buffer.from(token.slice(prefix.length), 'base64url').toString('utf8'));
}

interface PresignedRequest {
  protocol?: string;
  hostname?: string;
  port?: number;
  path?: string;
  query?: Record<string, string | Array<string> | null>;
}

function presignedUrl(req: PresignedRequest): string {
  const port = req.port ? `:${req.port}` : '';
  const query = Object.entries(req.query ?? {})
    .flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x]) : v == null ? [] : [[k, v]]))
    .map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`)
    .join('&');
  return `${req.protocol}//${req.hostname}${port}${req.path}?${query}`;
}

// SigV4 canonicalises with RFC 3986 encoding; the URL must carry the same bytes.
function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function parseAmzDate(s: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return undefined;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}

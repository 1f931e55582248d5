// What EKS's aws-iam-authenticator does with a bearer token (kubernetes-sigs/aws-iam-authenticator,
// pkg/token/token.go, Verify), with its messages: decode `k8s-aws-v1.<base64url presigned URL>`, check that the
// URL is an STS GetCallerIdentity URL (https, an STS host, path /, only SigV4 parameters, one value each, the
// x-k8s-aws-id header signed, X-Amz-Expires 0..900, X-Amz-Date within 15 minutes), then GET it with
// `x-k8s-aws-id: <cluster>` and take the ARN STS answers. STS itself (the gateway, sts-presigned.ts) checks the
// signature. The one sandbox substitution: the gateway's own origin stands for an STS endpoint (the product reaches
// AWS through AWS_ENDPOINT_URL), and a token naming a real STS host is sent to the gateway with that Host header.
import { request } from 'node:http';
import type { EksTokenVerifier } from '../contracts.ts';
import { parseAmzDate } from './sts-presigned.ts';

const PREFIX = 'k8s-aws-v1.';
const MAX_TOKEN_BYTES = 4096;
const TOKEN_LIFETIME_MS = 15 * 60_000;
const MAX_EXPIRES_S = 900;
const CLUSTER_ID_HEADER = 'x-k8s-aws-id';
/** aws-iam-authenticator's hostRegexp: sts.amazonaws.com, sts.<region>.amazonaws.com, and .cn. */
const STS_HOST = /^sts(\.[a-z1-9-]+)?\.amazonaws\.com(\.cn)?$/;
const ALLOWED_PARAMS = new Set([
  'action',
  'version',
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-security-token',
  'x-amz-signature',
  'x-amz-signedheaders',
]);

interface Refusal {
  ok: false;
  reason: string;
}
const formatError = (m: string): Refusal => ({ ok: false, reason: `input token was not properly formatted: ${m}` });
const stsError = (m: string): Refusal => ({ ok: false, reason: `sts getCallerIdentity failed: ${m}` });

export function makeEksTokenVerifier(gatewayUrl: string, now: () => number = Date.now): EksTokenVerifier {
  const gateway = new URL(gatewayUrl);
  return async (token, clusterName) => {
    const checked = checkTokenFormat(token, gateway, now());
    if ('reason' in checked) return checked;
    const { url } = checked;
    let res: { status: number; body: string };
    try {
      res = await getViaGateway(gateway, url, clusterName);
    } catch (err) {
      return stsError(`error during GET: ${(err as Error).message}`);
    }
    if (res.status !== 200) {
      // aws-iam-authenticator reports the status only; STS's code is added so that a test or a user sees why.
      const code = /<Code>([^<]+)<\/Code>/.exec(res.body)?.[1] ?? 'unknown';
      const hint = code === 'SignatureDoesNotMatch' ? ' (the token was minted for another cluster or altered)' : '';
      return stsError(`error from AWS (expected 200, got ${res.status}): ${code}${hint}`);
    }
    try {
      const arn = JSON.parse(res.body).GetCallerIdentityResponse.GetCallerIdentityResult.Arn as string;
      return { ok: true, arn };
    } catch {
      return stsError('STS answered GetCallerIdentity without an ARN');
    }
  };
}

/** The authenticator's checks before it calls STS, with its messages. */
export function checkTokenFormat(token: string, gateway: URL, now: number): { url: URL } | Refusal {
  if (token.length > MAX_TOKEN_BYTES) return formatError('token is too large');
  if (!token.startsWith(PREFIX)) return formatError(`token is missing expected "${PREFIX}" prefix`);
  const payload = token.slice(PREFIX.length);
  // Go's base64.RawURLEncoding: URL alphabet, no padding.
  if (!/^[A-Za-z0-9_-]*$/.test(payload) || payload.length % 4 === 1) {
    return formatError('illegal base64 data in the token');
  }
  const text = Buffer.from(payload, 'base64url').toString('utf8');
  const parts = /^([a-zA-Z][a-zA-Z0-9+.-]*):(?:\/\/([^/?#]*))?/.exec(text);
  if (!parts) return formatError(`parse "${text}": missing protocol scheme`);
  const scheme = parts[1].toLowerCase();
  const host = parts[2] ?? '';
  const isGateway = host === gateway.host;
  // The authenticator checks the scheme, then the host. A host that is neither STS nor the gateway is named first
  // here, so that a token for somewhere else says where it points whatever its scheme.
  if (host && !isGateway && !STS_HOST.test(host)) return formatError(`unexpected hostname "${host}" in pre-signed URL`);
  if (scheme !== (isGateway ? gateway.protocol.replace(/:$/, '') : 'https')) {
    return formatError(`unexpected scheme "${scheme}" in pre-signed URL`);
  }
  if (!isGateway && !STS_HOST.test(host)) return formatError(`unexpected hostname "${host}" in pre-signed URL`);
  let url: URL;
  try {
    url = new URL(text);
  } catch (err) {
    return formatError((err as Error).message);
  }
  if (url.pathname !== '/') return formatError('unexpected path in pre-signed URL');
  const lower = new Map<string, string>();
  for (const key of new Set(url.searchParams.keys())) {
    if (!ALLOWED_PARAMS.has(key.toLowerCase())) return formatError(`non-whitelisted query parameter "${key}"`);
    const values = url.searchParams.getAll(key);
    if (values.length !== 1) return formatError('query parameter with multiple values not supported');
    lower.set(key.toLowerCase(), values[0]);
  }
  if (lower.get('action') !== 'GetCallerIdentity') return formatError('unexpected action parameter in pre-signed URL');
  const signed = (lower.get('x-amz-signedheaders') ?? '').split(';').map((h) => h.toLowerCase());
  if (!signed.includes(CLUSTER_ID_HEADER)) {
    return formatError(`client did not sign the ${CLUSTER_ID_HEADER} header in the pre-signed URL`);
  }
  const expiresRaw = lower.get('x-amz-expires') ?? '';
  const expires = /^[+-]?\d+$/.test(expiresRaw) ? Number(expiresRaw) : Number.NaN;
  if (!Number.isInteger(expires) || expires < 0 || expires > MAX_EXPIRES_S) {
    return formatError(`invalid X-Amz-Expires parameter in pre-signed URL: ${Number.isInteger(expires) ? expires : 0}`);
  }
  const date = lower.get('x-amz-date') ?? '';
  if (date === '') return formatError('X-Amz-Date parameter must be present in pre-signed URL');
  const signedAt = parseAmzDate(date);
  if (signedAt === undefined) {
    return formatError(`error parsing X-Amz-Date parameter ${date} into format 20060102T150405Z`);
  }
  if (now > signedAt + TOKEN_LIFETIME_MS) {
    return formatError(`X-Amz-Date parameter is expired (15 minute expiration) ${goTime(signedAt)}`);
  }
  return { url };
}

/** GET the presigned URL at STS, that is the gateway, with the Host the URL names (as DNS would route it). */
function getViaGateway(gateway: URL, url: URL, clusterName: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: gateway.hostname,
        port: gateway.port,
        method: 'GET',
        path: `${url.pathname}${url.search}`,
        headers: { host: url.host, [CLUSTER_ID_HEADER]: clusterName, accept: 'application/json' },
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Go's default time.Time format, as the authenticator prints it: 2006-01-02 15:04:05 +0000 UTC. */
function goTime(ms: number): string {
  return `${new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, '')} +0000 UTC`;
}

// What aws-iam-authenticator does with an EKS bearer token, against the gateway's STS: decode
// `k8s-aws-v1.<base64url presigned URL>`, check it is a GetCallerIdentity URL on our STS, signed with
// x-k8s-aws-id and not older than 15 minutes, then call it with `x-k8s-aws-id: <cluster>` and take the ARN.
import type { EksTokenVerifier } from '../contracts.ts';
import { parseAmzDate } from './sts-presigned.ts';

const PREFIX = 'k8s-aws-v1.';
const TOKEN_LIFETIME_MS = 15 * 60_000;
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

export function makeEksTokenVerifier(gatewayUrl: string, now: () => number = Date.now): EksTokenVerifier {
  const gateway = new URL(gatewayUrl);
  return async (token, clusterName) => {
    if (!token.startsWith(PREFIX)) return { ok: false, reason: 'token is missing the expected "k8s-aws-v1." prefix' };
    let url: URL;
    try {
      url = new URL(Buffer.from(token.slice(PREFIX.length), 'base64url').toString('utf8'));
    } catch {
      return { ok: false, reason: 'input token was not properly formatted: the payload is not a URL' };
    }
    if (url.host !== gateway.host || url.protocol !== gateway.protocol) {
      return {
        ok: false,
        reason: `input token was not properly formatted: unexpected hostname "${url.host}" in pre-signed URL`,
      };
    }
    if (url.pathname !== '/')
      return {
        ok: false,
        reason: `input token was not properly formatted: unexpected path "${url.pathname}" in pre-signed URL`,
      };
    for (const key of url.searchParams.keys()) {
      if (!ALLOWED_PARAMS.has(key.toLowerCase()))
        return {
          ok: false,
          reason: `input token was not properly formatted: non-whitelisted query parameter "${key}"`,
        };
    }
    if (url.searchParams.get('Action') !== 'GetCallerIdentity')
      return {
        ok: false,
        reason: 'input token was not properly formatted: unexpected action parameter in pre-signed URL',
      };
    const signed = (url.searchParams.get('X-Amz-SignedHeaders') ?? '').toLowerCase().split(';');
    if (!signed.includes('x-k8s-aws-id'))
      return { ok: false, reason: 'client did not sign the x-k8s-aws-id header in the pre-signed URL' };
    const date = parseAmzDate(url.searchParams.get('X-Amz-Date') ?? '');
    if (date === undefined)
      return { ok: false, reason: 'input token was not properly formatted: malformed X-Amz-Date' };
    if (now() > date + TOKEN_LIFETIME_MS) {
      return {
        ok: false,
        reason: `X-Amz-Date parameter is expired (15 minute expiration) ${url.searchParams.get('X-Amz-Date')}`,
      };
    }
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { 'x-k8s-aws-id': clusterName, accept: 'application/json' },
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      return { ok: false, reason: `error during GET to STS: ${(err as Error).message}` };
    }
    const body = await res.text();
    if (res.status !== 200) {
      const code = /<Code>([^<]+)<\/Code>/.exec(body)?.[1] ?? res.headers.get('x-amzn-errortype') ?? 'unknown';
      const hint = code === 'SignatureDoesNotMatch' ? ' (the token was minted for another cluster or altered)' : '';
      return {
        ok: false,
        reason: `sts getCallerIdentity failed: error from AWS (expected 200, got ${res.status}): ${code}${hint}`,
      };
    }
    try {
      const arn = JSON.parse(body).GetCallerIdentityResponse.GetCallerIdentityResult.Arn as string;
      return { ok: true, arn };
    } catch {
      return { ok: false, reason: 'STS answered GetCallerIdentity without an ARN' };
    }
  };
}

// AWS Signature Version 4, written from AWS's specification (IAM user guide, "Create a signed AWS API request")
// with node:crypto only, so that the sandbox checks signatures without the signing library the product uses.
// Proven by AWS's published SigV4 test-suite vectors (test/unit/aws-token/sigv4.test.ts).
import { createHash, createHmac } from 'node:crypto';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const EMPTY_PAYLOAD_SHA256 = createHash('sha256').update('').digest('hex');

export interface CanonicalInput {
  method: string;
  /** The path as sent (already percent-encoded), e.g. '/'. */
  path: string;
  /** Decoded query parameters in the order received; X-Amz-Signature must not be among them. */
  query: Array<[string, string]>;
  /** Lower-case header names to their values; only the signed ones are used. */
  headers: Record<string, string>;
  signedHeaders: string[];
  payloadHash: string;
}

/** RFC 3986 percent-encoding as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ is escaped, upper-case hex. */
export function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function canonicalQuery(query: Array<[string, string]>): string {
  return query
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/** Header values are trimmed and inner runs of spaces collapse to one (the spec's Trimall). */
function canonicalHeaderValue(v: string): string {
  return v.trim().replace(/ +/g, ' ');
}

export function canonicalRequest(input: CanonicalInput): string {
  const names = [...input.signedHeaders].map((h) => h.toLowerCase()).sort();
  const headers = names.map((n) => `${n}:${canonicalHeaderValue(input.headers[n] ?? '')}\n`).join('');
  return [
    input.method.toUpperCase(),
    canonicalPath(input.path),
    canonicalQuery(input.query),
    headers,
    names.join(';'),
    input.payloadHash,
  ].join('\n');
}

/** Non-S3 services: each segment of the (once-decoded) path is encoded again. */
function canonicalPath(path: string): string {
  if (path === '' || path === '/') return '/';
  return path
    .split('/')
    .map((seg) => uriEncode(safeDecode(seg)))
    .join('/');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function credentialScope(day: string, region: string, service: string): string {
  return `${day}/${region}/${service}/aws4_request`;
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return [ALGORITHM, amzDate, scope, createHash('sha256').update(canonical, 'utf8').digest('hex')].join('\n');
}

export function signingKey(secret: string, day: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', `AWS4${secret}`).update(day).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  return createHmac('sha256', kService).update('aws4_request').digest();
}

export function signature(key: Buffer, toSign: string): string {
  return createHmac('sha256', key).update(toSign, 'utf8').digest('hex');
}

export interface PresignInput {
  method: string;
  /** e.g. https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15 */
  url: string;
  /** Extra headers to sign besides host (lower-case names). */
  headers?: Record<string, string>;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  region: string;
  service: string;
  /** YYYYMMDD'T'HHMMSS'Z' */
  amzDate: string;
  expiresSeconds: number;
}

/** A presigned URL (query-string authentication), as the spec's "Authenticating requests: query parameters". */
export function presignUrl(input: PresignInput): string {
  const url = new URL(input.url);
  const headers: Record<string, string> = { host: url.host, ...(input.headers ?? {}) };
  const signedHeaders = Object.keys(headers).sort();
  const scope = credentialScope(input.amzDate.slice(0, 8), input.region, input.service);
  const query: Array<[string, string]> = [...url.searchParams.entries()];
  query.push(
    ['X-Amz-Algorithm', ALGORITHM],
    ['X-Amz-Credential', `${input.accessKeyId}/${scope}`],
    ['X-Amz-Date', input.amzDate],
    ['X-Amz-Expires', String(input.expiresSeconds)],
    ['X-Amz-SignedHeaders', signedHeaders.join(';')],
  );
  if (input.sessionToken) query.push(['X-Amz-Security-Token', input.sessionToken]);
  const canonical = canonicalRequest({
    method: input.method,
    path: url.pathname,
    query,
    headers,
    signedHeaders,
    payloadHash: EMPTY_PAYLOAD_SHA256,
  });
  const key = signingKey(input.secretAccessKey, input.amzDate.slice(0, 8), input.region, input.service);
  const sig = signature(key, stringToSign(input.amzDate, scope, canonical));
  const qs = [...query, ['X-Amz-Signature', sig]].map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`).join('&');
  return `${url.protocol}//${url.host}${url.pathname}?${qs}`;
}

export function toAmzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

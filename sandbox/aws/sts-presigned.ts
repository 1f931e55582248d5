// STS GetCallerIdentity for presigned URLs (the EKS bearer token): the gateway checks the SigV4 query
// signature itself, against the sandbox's known credentials, as STS would.
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpReply } from './aws-errors.ts';
import { queryError } from './aws-errors.ts';
import { SANDBOX_ACCOUNT_ID, SANDBOX_CREDENTIALS, SANDBOX_USER_ARN, SANDBOX_USER_ID } from './identity.ts';
import { header } from './request-info.ts';

const AUTH_PARAMS = [
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
  'X-Amz-Security-Token',
];
const MAX_EXPIRES_S = 604_800;
const CLOCK_SKEW_MS = 5 * 60_000;

export interface PresignedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

export async function verifyPresignedCallerIdentity(req: PresignedRequest, now = Date.now()): Promise<HttpReply> {
  const url = new URL(req.url, 'http://sts.invalid');
  const q = url.searchParams;
  const deny = (code: string, message: string, status = 403) => queryError('sts', status, 'Sender', code, message);
  if (q.get('Action') !== 'GetCallerIdentity')
    return deny('InvalidAction', `Could not find operation ${q.get('Action')} for version ${q.get('Version')}`, 400);
  if (q.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256')
    return deny('IncompleteSignature', 'Unsupported or missing X-Amz-Algorithm.', 400);
  const credential = (q.get('X-Amz-Credential') ?? '').split('/');
  if (credential.length !== 5 || credential[4] !== 'aws4_request')
    return deny('IncompleteSignature', 'Malformed X-Amz-Credential.', 400);
  const [accessKeyId, day, region, service] = credential;
  if (accessKeyId !== SANDBOX_CREDENTIALS.accessKeyId)
    return deny('InvalidClientTokenId', 'The security token included in the request is invalid.');
  const signedAt = parseAmzDate(q.get('X-Amz-Date') ?? '');
  const expires = Number(q.get('X-Amz-Expires'));
  if (signedAt === undefined || !day || !(q.get('X-Amz-Date') ?? '').startsWith(day))
    return deny('IncompleteSignature', 'Malformed or missing X-Amz-Date.', 400);
  if (!Number.isInteger(expires) || expires < 1 || expires > MAX_EXPIRES_S)
    return deny('AuthorizationQueryParametersError', 'X-Amz-Expires must be between 1 and 604800 seconds.', 400);
  if (signedAt - CLOCK_SKEW_MS > now)
    return deny('SignatureDoesNotMatch', `Signature not yet current: ${q.get('X-Amz-Date')} is still later than now.`);
  // STS treats a presigned GetCallerIdentity as valid for 15 minutes after signing whatever X-Amz-Expires says
  // (aws-iam-authenticator signs with 60 "for legacy reasons"); EKS tokens rely on that.
  if (signedAt + Math.max(expires * 1000, 15 * 60_000) < now) return deny('AccessDenied', 'Request has expired');

  const signedHeaders = (q.get('X-Amz-SignedHeaders') ?? '').split(';').filter(Boolean);
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = header(req.headers, name);
    if (value === undefined) return deny('SignatureDoesNotMatch', signatureMismatch());
    headers[name] = value;
  }
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(q.keys())) {
    if (AUTH_PARAMS.includes(key)) continue;
    const all = q.getAll(key);
    query[key] = all.length === 1 ? all[0] : all;
  }
  const signer = new SignatureV4({ credentials: SANDBOX_CREDENTIALS, region, service, sha256: Sha256 });
  const expected = await signer.presign(
    { method: req.method, protocol: 'http:', hostname: headers.host ?? '', path: url.pathname, query, headers },
    { signingDate: new Date(signedAt), expiresIn: expires, signingRegion: region, signingService: service },
  );
  const want = Buffer.from(String(expected.query?.['X-Amz-Signature'] ?? ''));
  const got = Buffer.from(q.get('X-Amz-Signature') ?? '');
  if (want.length !== got.length || !timingSafeEqual(want, got))
    return deny('SignatureDoesNotMatch', signatureMismatch());
  return callerIdentity(header(req.headers, 'accept') ?? '');
}

/** GetCallerIdentity's answer, in XML or (when asked, as aws-iam-authenticator does) JSON. */
export function callerIdentity(accept: string): HttpReply {
  const requestId = randomUUID();
  if (accept.includes('application/json')) {
    return {
      status: 200,
      headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId },
      body: JSON.stringify({
        GetCallerIdentityResponse: {
          GetCallerIdentityResult: { Account: SANDBOX_ACCOUNT_ID, Arn: SANDBOX_USER_ARN, UserId: SANDBOX_USER_ID },
          ResponseMetadata: { RequestId: requestId },
        },
      }),
    };
  }
  return {
    status: 200,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body:
      `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n  <GetCallerIdentityResult>\n` +
      `    <Arn>${SANDBOX_USER_ARN}</Arn>\n    <UserId>${SANDBOX_USER_ID}</UserId>\n    <Account>${SANDBOX_ACCOUNT_ID}</Account>\n` +
      `  </GetCallerIdentityResult>\n  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n` +
      `</GetCallerIdentityResponse>\n`,
  };
}

export function parseAmzDate(s: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return undefined;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}

function signatureMismatch(): string {
  return 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
}

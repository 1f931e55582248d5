// STS GetCallerIdentity for presigned URLs (the EKS bearer token): the gateway checks the query as STS does
// (action and version, SigV4 parameters, credential scope, signed headers, dates) and recomputes the signature
// with the sandbox's own SigV4 (sigv4.ts, proven by AWS's test-suite vectors), not the product's signing library.
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { HttpReply } from './aws-errors.ts';
import { queryError } from './aws-errors.ts';
import { SANDBOX_ACCOUNT_ID, SANDBOX_CREDENTIALS, SANDBOX_USER_ARN, SANDBOX_USER_ID } from './identity.ts';
import { header } from './request-info.ts';
import {
  ALGORITHM,
  canonicalRequest,
  credentialScope,
  EMPTY_PAYLOAD_SHA256,
  signature,
  signingKey,
  stringToSign,
} from './sigv4.ts';

const STS_VERSION = '2011-06-15';
const MAX_EXPIRES_S = 604_800;
const CLOCK_SKEW_MS = 5 * 60_000;
/** STS honours a presigned GetCallerIdentity for 15 minutes after X-Amz-Date, whatever X-Amz-Expires says. */
const STS_PRESIGN_FLOOR_MS = 15 * 60_000;

export interface PresignedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

export async function verifyPresignedCallerIdentity(req: PresignedRequest, now = Date.now()): Promise<HttpReply> {
  const url = new URL(req.url, 'http://sts.invalid');
  const q = url.searchParams;
  const deny = (code: string, message: string, status = 403) => queryError('sts', status, 'Sender', code, message);
  const version = q.get('Version') ?? 'NO_VERSION_SPECIFIED';
  if (q.get('Action') !== 'GetCallerIdentity' || version !== STS_VERSION) {
    return deny('InvalidAction', `Could not find operation ${q.get('Action')} for version ${version}`, 400);
  }
  if (q.get('X-Amz-Algorithm') !== ALGORITHM)
    return deny('IncompleteSignature', 'Unsupported or missing X-Amz-Algorithm.', 400);
  const credential = (q.get('X-Amz-Credential') ?? '').split('/');
  if (credential.length !== 5 || credential[4] !== 'aws4_request')
    return deny('IncompleteSignature', 'Malformed X-Amz-Credential.', 400);
  const [accessKeyId, day, region, service] = credential;
  if (accessKeyId !== SANDBOX_CREDENTIALS.accessKeyId)
    return deny('InvalidClientTokenId', 'The security token included in the request is invalid.');
  const amzDate = q.get('X-Amz-Date') ?? '';
  const signedAt = parseAmzDate(amzDate);
  if (signedAt === undefined) return deny('IncompleteSignature', 'Malformed or missing X-Amz-Date.', 400);
  if (day !== amzDate.slice(0, 8)) {
    return deny(
      'SignatureDoesNotMatch',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${day}' != '${amzDate.slice(0, 8)}', from 'X-Amz-Date'.`,
    );
  }
  if (service !== 'sts')
    return deny('SignatureDoesNotMatch', "Credential should be scoped to correct service: 'sts'. ");
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region))
    return deny('SignatureDoesNotMatch', 'Credential should be scoped to a valid region. ');
  const endpointRegion = stsEndpointRegion(header(req.headers, 'host') ?? '');
  if (endpointRegion && endpointRegion !== region) {
    return deny('SignatureDoesNotMatch', `Credential should be scoped to a valid region, not '${region}'. `);
  }
  const expires = Number(q.get('X-Amz-Expires'));
  if (!Number.isInteger(expires) || expires < 1 || expires > MAX_EXPIRES_S)
    return deny('AuthorizationQueryParametersError', 'X-Amz-Expires must be between 1 and 604800 seconds.', 400);
  if (signedAt - CLOCK_SKEW_MS > now)
    return deny('SignatureDoesNotMatch', `Signature not yet current: ${amzDate} is still later than now.`);
  // aws-iam-authenticator signs with 60 s "for legacy reasons"; EKS tokens rely on the 15-minute floor.
  if (signedAt + Math.max(expires * 1000, STS_PRESIGN_FLOOR_MS) < now)
    return deny('AccessDenied', 'Request has expired');

  const signedHeaders = (q.get('X-Amz-SignedHeaders') ?? '').split(';').filter(Boolean);
  if (!signedHeaders.includes('host'))
    return deny('SignatureDoesNotMatch', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = header(req.headers, name);
    if (value === undefined) return deny('SignatureDoesNotMatch', signatureMismatch());
    headers[name] = value;
  }
  const query = [...q.entries()].filter(([k]) => k !== 'X-Amz-Signature');
  const canonical = canonicalRequest({
    method: req.method,
    path: url.pathname,
    query,
    headers,
    signedHeaders,
    payloadHash: EMPTY_PAYLOAD_SHA256,
  });
  const key = signingKey(SANDBOX_CREDENTIALS.secretAccessKey, day, region, service);
  const want = Buffer.from(signature(key, stringToSign(amzDate, credentialScope(day, region, service), canonical)));
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

/** The region an STS hostname serves (the global endpoint signs as us-east-1); undefined for other hosts. */
function stsEndpointRegion(host: string): string | undefined {
  if (host === 'sts.amazonaws.com') return 'us-east-1';
  return /^sts\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(host)?.[1];
}

export function parseAmzDate(s: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return undefined;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
}

function signatureMismatch(): string {
  return 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
}

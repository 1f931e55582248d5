// EKS bearer tokens checked as EKS and STS check them, independently of the product's minting code: the format
// rules and messages of aws-iam-authenticator (pkg/token/token.go, Verify; its own token_test.go cases are below),
// and STS's own checks with the signature recomputed by the sandbox's SigV4 (proven in sigv4.test.ts).
// Tokens wrong in one way each are built with that SigV4; the product's tokens must pass both checks.
import { describe, expect, it } from 'vitest';
import { checkTokenFormat } from '../../../sandbox/aws/eks-token-verifier.ts';
import { SANDBOX_CREDENTIALS } from '../../../sandbox/aws/identity.ts';
import { presignUrl, toAmzDate } from '../../../sandbox/aws/sigv4.ts';
import { verifyPresignedCallerIdentity } from '../../../sandbox/aws/sts-presigned.ts';
import { mintEksToken } from '../../../src/kube/eks-token.ts';

const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const GATEWAY = new URL('http://127.0.0.1:4566');
const STS = 'https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15';

interface Variant {
  url?: string;
  headers?: Record<string, string>;
  signedAt?: number;
  expires?: number;
  secret?: string;
  region?: string;
  service?: string;
}

function presigned(v: Variant = {}): string {
  return presignUrl({
    method: 'GET',
    url: v.url ?? STS,
    headers: v.headers ?? { 'x-k8s-aws-id': 'demo-iad' },
    accessKeyId: SANDBOX_CREDENTIALS.accessKeyId,
    secretAccessKey: v.secret ?? SANDBOX_CREDENTIALS.secretAccessKey,
    region: v.region ?? 'us-east-1',
    service: v.service ?? 'sts',
    amzDate: toAmzDate(v.signedAt ?? NOW),
    expiresSeconds: v.expires ?? 60,
  });
}

const wrap = (url: string) => `k8s-aws-v1.${Buffer.from(url).toString('base64url')}`;
const format = (token: string, now = NOW) => checkTokenFormat(token, GATEWAY, now);

/** STS's answer to the URL, sent as the authenticator sends it (x-k8s-aws-id of the cluster it guards). */
async function sts(url: string, cluster = 'demo-iad', now = NOW) {
  const u = new URL(url);
  const reply = await verifyPresignedCallerIdentity(
    {
      method: 'GET',
      url: u.pathname + u.search,
      headers: { host: u.host, 'x-k8s-aws-id': cluster, accept: 'application/json' },
    },
    now,
  );
  const body = String(reply.body);
  return {
    status: reply.status,
    code: /<Code>([^<]+)<\/Code>/.exec(body)?.[1],
    message: /<Message>([^<]*)<\/Message>/.exec(body)?.[1],
  };
}

function withParam(url: string, edit: (q: URLSearchParams) => void): string {
  const u = new URL(url);
  edit(u.searchParams);
  return u.toString();
}

describe("the product's tokens", () => {
  it('pass the format check and STS, for their cluster only, and carry the signature AWS SigV4 gives', async () => {
    const { token } = await mintEksToken({
      clusterName: 'demo-iad',
      region: 'us-east-1',
      credentials: SANDBOX_CREDENTIALS,
      stsEndpoint: 'https://sts.us-east-1.amazonaws.com',
      now: NOW,
    });
    const checked = format(token);
    expect(checked).toHaveProperty('url');
    const url = (checked as { url: URL }).url.toString();
    expect(await sts(url)).toMatchObject({ status: 200 });
    expect(await sts(url, 'demo-pdx')).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    // The same request signed by the sandbox's SigV4 (proven by AWS's vectors) gives the same signature.
    expect(new URL(url).searchParams.get('X-Amz-Signature')).toBe(
      new URL(presigned()).searchParams.get('X-Amz-Signature'),
    );
  });

  it('pass when they name the sandbox gateway (AWS_ENDPOINT_URL), the one host substitution', async () => {
    const { token } = await mintEksToken({
      clusterName: 'demo-iad',
      region: 'us-east-1',
      credentials: SANDBOX_CREDENTIALS,
      stsEndpoint: GATEWAY.origin,
      now: NOW,
    });
    const checked = format(token);
    expect(checked).toHaveProperty('url');
    expect(await sts((checked as { url: URL }).url.toString())).toMatchObject({ status: 200 });
  });

  it('a token signed by the sandbox SigV4 for the global endpoint passes too', async () => {
    const url = presigned({ url: 'https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15' });
    expect(format(wrap(url))).toHaveProperty('url');
    expect(await sts(url)).toMatchObject({ status: 200 });
  });
});

describe('refused by the format check, with what aws-iam-authenticator says', () => {
  const cases: Array<[string, () => string, string]> = [
    [
      'no k8s-aws-v1. prefix',
      () => Buffer.from(presigned()).toString('base64url'),
      'token is missing expected "k8s-aws-v1." prefix',
    ],
    ['too large', () => wrap(`${presigned()}&${'x'.repeat(4096)}`), 'token is too large'],
    ['padded base64', () => `${wrap(presigned())}==`, 'illegal base64 data'],
    [
      'http to a real STS host',
      () => wrap(presigned().replace('https:', 'http:')),
      'unexpected scheme "http" in pre-signed URL',
    ],
    [
      'another host',
      () => wrap(presigned({ url: 'https://sts.example.com/?Action=GetCallerIdentity&Version=2011-06-15' })),
      'unexpected hostname "sts.example.com" in pre-signed URL',
    ],
    [
      'another path',
      () =>
        wrap(presigned({ url: 'https://sts.us-east-1.amazonaws.com/x?Action=GetCallerIdentity&Version=2011-06-15' })),
      'unexpected path in pre-signed URL',
    ],
    [
      'a parameter STS does not sign for tokens',
      () => wrap(withParam(presigned(), (q) => q.set('RoleArn', 'x'))),
      'non-whitelisted query parameter "RoleArn"',
    ],
    [
      'a parameter twice',
      () => wrap(withParam(presigned(), (q) => q.append('Action', 'GetCallerIdentity'))),
      'query parameter with multiple values not supported',
    ],
    [
      'another action',
      () => wrap(presigned({ url: 'https://sts.us-east-1.amazonaws.com/?Action=AssumeRole&Version=2011-06-15' })),
      'unexpected action parameter in pre-signed URL',
    ],
    [
      'x-k8s-aws-id not signed',
      () => wrap(presigned({ headers: {} })),
      'client did not sign the x-k8s-aws-id header in the pre-signed URL',
    ],
    [
      'X-Amz-Expires over 900',
      () => wrap(presigned({ expires: 901 })),
      'invalid X-Amz-Expires parameter in pre-signed URL: 901',
    ],
    [
      'no X-Amz-Date',
      () => wrap(withParam(presigned(), (q) => q.delete('X-Amz-Date'))),
      'X-Amz-Date parameter must be present in pre-signed URL',
    ],
    [
      'a malformed X-Amz-Date',
      () => wrap(withParam(presigned(), (q) => q.set('X-Amz-Date', '2026-12-01T12:00:00Z'))),
      'error parsing X-Amz-Date parameter 2026-12-01T12:00:00Z',
    ],
    [
      'signed more than 15 minutes ago',
      () => wrap(presigned({ signedAt: NOW - 15 * 60_000 - 1000 })),
      'X-Amz-Date parameter is expired (15 minute expiration) 2026-12-01 11:44:59 +0000 UTC',
    ],
  ];
  for (const [what, token, message] of cases) {
    it(what, () => {
      expect(format(token())).toEqual({
        ok: false,
        reason: expect.stringContaining(`input token was not properly formatted: ${message}`),
      });
    });
  }

  it('accepts X-Amz-Expires of 900 and a token 14 minutes old (past its 60 s X-Amz-Expires)', () => {
    expect(format(wrap(presigned({ expires: 900 })))).toHaveProperty('url');
    expect(format(wrap(presigned({ signedAt: NOW - 14 * 60_000 })))).toHaveProperty('url');
  });
});

// aws-iam-authenticator's own cases, kubernetes-sigs/aws-iam-authenticator pkg/token/token_test.go
// (TestVerifyTokenPreSTSValidations and TestSTSEndpoints): the same token text gives the same verdict here.
describe("aws-iam-authenticator's token_test.go cases", () => {
  const date = toAmzDate(NOW);
  const toToken = (url: string) => wrap(url);
  const refused: Array<[string, string]> = [
    ['\0'.repeat(4097), 'token is too large'],
    ['k8s-aws-v2.asdfasdfa', 'token is missing expected "k8s-aws-v1." prefix'],
    ['k8s-aws-v1.decodingerror', 'illegal base64 data'],
    [toToken(':ab:cd.af:/asda'), 'missing protocol scheme'],
    [toToken('http://'), 'unexpected scheme'],
    [toToken('https://google.com'), 'unexpected hostname "google.com" in pre-signed URL'],
    [toToken('https://sts.cn-north-1.amazonaws.com.cn/abc'), 'unexpected path in pre-signed URL'],
    [toToken('https://sts.amazonaws.com/abc'), 'unexpected path in pre-signed URL'],
    [toToken('https://sts.amazonaws.com/?NoInWhiteList=abc'), 'non-whitelisted query parameter'],
    [
      toToken('https://sts.amazonaws.com/?action=get&action=post'),
      'query parameter with multiple values not supported',
    ],
    [toToken('https://sts.amazonaws.com/?action=NotGetCallerIdenity'), 'unexpected action parameter in pre-signed URL'],
    [
      toToken('https://sts.amazonaws.com/?action=GetCallerIdentity&x-amz-signedheaders=abc%3bx-k8s-aws-i%3bdef'),
      'client did not sign the x-k8s-aws-id header in the pre-signed URL',
    ],
    [
      toToken(
        `https://sts.amazonaws.com/?action=GetCallerIdentity&x-amz-signedheaders=x-k8s-aws-id&x-amz-date=${date}&x-amz-expires=9999999`,
      ),
      'invalid X-Amz-Expires parameter in pre-signed URL',
    ],
    [
      toToken(
        'https://sts.amazonaws.com/?action=GetCallerIdentity&x-amz-signedheaders=x-k8s-aws-id&x-amz-date=xxxxxxx&x-amz-expires=60',
      ),
      'error parsing X-Amz-Date parameter',
    ],
    [
      toToken(
        'https://sts.amazonaws.com/?action=GetCallerIdentity&x-amz-signedheaders=x-k8s-aws-id&x-amz-date=19900422T010203Z&x-amz-expires=60',
      ),
      'X-Amz-Date parameter is expired',
    ],
  ];
  it.each(refused)('refuses %#: %s', (token, message) => {
    expect(format(token)).toEqual({ ok: false, reason: expect.stringContaining(message) });
  });

  it.each(['us-east-2', 'ap-northeast-2', 'ca-central-1', 'eu-west-1', 'sa-east-1'])(
    'passes a well-formed token for sts.%s',
    (region) => {
      const url = `https://sts.${region}.amazonaws.com/?action=GetCallerIdentity&x-amz-signedheaders=x-k8s-aws-id&x-amz-date=${date}&x-amz-expires=60`;
      expect(format(toToken(url))).toHaveProperty('url');
    },
  );

  it('takes every STS endpoint host the authenticator lists', () => {
    const hosts = [
      'sts.amazonaws.com.cn',
      'sts.amazonaws.com',
      'sts.us-east-1.amazonaws.com',
      'sts.eu-north-1.amazonaws.com',
    ];
    for (const host of hosts) {
      const url = `https://${host}/?action=GetCallerIdentity&x-amz-signedheaders=x-k8s-aws-id&x-amz-date=${date}&x-amz-expires=60`;
      expect(format(toToken(url))).toHaveProperty('url');
    }
  });
});

describe('refused by STS (the gateway), signature recomputed by the sandbox SigV4', () => {
  it('another cluster, the wrong secret, a tampered signature: SignatureDoesNotMatch', async () => {
    expect(await sts(presigned(), 'demo-pdx')).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    expect(await sts(presigned({ secret: 'not-the-secret' }))).toMatchObject({
      status: 403,
      code: 'SignatureDoesNotMatch',
    });
    const tampered = withParam(presigned(), (q) => q.set('X-Amz-Signature', '0'.repeat(64)));
    expect(await sts(tampered)).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
  });

  it('a credential scope of another service, another region than the endpoint, another day', async () => {
    expect(await sts(presigned({ service: 'eks' }))).toMatchObject({
      status: 403,
      message: expect.stringContaining("scoped to correct service: 'sts'"),
    });
    expect(await sts(presigned({ region: 'us-west-2' }))).toMatchObject({
      status: 403,
      message: expect.stringContaining("not 'us-west-2'"),
    });
    const otherDay = withParam(presigned(), (q) =>
      q.set('X-Amz-Credential', 'testing/20261130/us-east-1/sts/aws4_request'),
    );
    expect(await sts(otherDay)).toMatchObject({
      status: 403,
      message: expect.stringContaining("'20261130' != '20261201'"),
    });
  });

  it('host not signed, another Version, another algorithm', async () => {
    const noHost = withParam(presigned(), (q) => q.set('X-Amz-SignedHeaders', 'x-k8s-aws-id'));
    expect(await sts(noHost)).toMatchObject({
      status: 403,
      message: expect.stringContaining("'Host' or ':authority' must be a 'SignedHeader'"),
    });
    const version = presigned({
      url: 'https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2010-01-01',
    });
    expect(await sts(version)).toMatchObject({ status: 400, code: 'InvalidAction' });
    const noVersion = presigned({ url: 'https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity' });
    expect(await sts(noVersion)).toMatchObject({
      status: 400,
      message: expect.stringContaining('NO_VERSION_SPECIFIED'),
    });
    const algorithm = withParam(presigned(), (q) => q.set('X-Amz-Algorithm', 'AWS4-HMAC-SHA1'));
    expect(await sts(algorithm)).toMatchObject({ status: 400, code: 'IncompleteSignature' });
  });

  it('signed in the future or more than 15 minutes ago', async () => {
    expect(await sts(presigned({ signedAt: NOW + 6 * 60_000 }))).toMatchObject({
      status: 403,
      message: expect.stringContaining('not yet current'),
    });
    expect(await sts(presigned({ signedAt: NOW - 16 * 60_000 }))).toMatchObject({ status: 403, code: 'AccessDenied' });
    expect(await sts(presigned({ signedAt: NOW - 14 * 60_000 }))).toMatchObject({ status: 200 });
  });
});

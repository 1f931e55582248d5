// EKS bearer tokens (presigned STS GetCallerIdentity URLs) are checked as aws-iam-authenticator and STS
// check them: good tokens name the caller; expired, other-cluster and tampered tokens are refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEksTokenVerifier } from '../../sandbox/aws/eks-token-verifier.ts';
import { presignUrl, toAmzDate } from '../../sandbox/aws/sigv4.ts';
import { mintEksToken as productMintEksToken } from '../../src/kube/eks-token.ts';
import { mintEksToken } from './helpers/eks-token.ts';
import { TINY } from './helpers/profile.ts';
import { type Fixture, startFixture } from './helpers/sandbox-fixture.ts';

let fx: Fixture;
beforeAll(async () => {
  // STS presigned URLs are answered by the gateway itself: no moto needed.
  fx = await startFixture(TINY, { withMoto: false });
});
afterAll(async () => {
  await fx?.stop();
});

describe('EKS token verification against the gateway STS', () => {
  it('accepts a fresh token for its cluster and names the caller', async () => {
    const verify = makeEksTokenVerifier(fx.gateway.url);
    const token = await mintEksToken(fx.gateway.url, 'iad');
    expect(await verify(token, 'iad')).toEqual({ ok: true, arn: 'arn:aws:iam::123456789012:user/meshops' });
    // Counted apart from the product's own calls: this is EKS checking a token.
    expect(fx.gateway.calls.counts()['sts:GetCallerIdentity(presigned)']).toBeGreaterThanOrEqual(1);
  });

  it("accepts the product's own tokens (src/kube/eks-token.ts, default credential chain from the env)", async () => {
    const verify = makeEksTokenVerifier(fx.gateway.url);
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = 'testing';
    process.env.AWS_SECRET_ACCESS_KEY = 'testing';
    try {
      const { token } = await productMintEksToken({
        clusterName: 'iad',
        region: 'us-east-1',
        stsEndpoint: fx.gateway.url,
      });
      expect(await verify(token, 'iad')).toEqual({ ok: true, arn: 'arn:aws:iam::123456789012:user/meshops' });
      expect(await verify(token, 'pdx')).toMatchObject({ ok: false });
    } finally {
      restore('AWS_ACCESS_KEY_ID', saved.id);
      restore('AWS_SECRET_ACCESS_KEY', saved.secret);
    }
  });

  it('refuses a token minted for another cluster', async () => {
    const verify = makeEksTokenVerifier(fx.gateway.url);
    const result = await verify(await mintEksToken(fx.gateway.url, 'pdx'), 'iad');
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('SignatureDoesNotMatch') });
  });

  it('refuses a token older than 15 minutes', async () => {
    const verify = makeEksTokenVerifier(fx.gateway.url);
    const token = await mintEksToken(fx.gateway.url, 'iad', { signingDate: new Date(Date.now() - 16 * 60_000) });
    expect(await verify(token, 'iad')).toMatchObject({ ok: false, reason: expect.stringContaining('expired') });
  });

  it('accepts a token past its X-Amz-Expires (60 s) within 15 minutes of signing, as EKS does', async () => {
    const verify = makeEksTokenVerifier(fx.gateway.url);
    const token = await mintEksToken(fx.gateway.url, 'iad', { signingDate: new Date(Date.now() - 5 * 60_000) });
    expect(await verify(token, 'iad')).toMatchObject({ ok: true });
  });

  it('has STS itself refuse a presigned URL signed more than 15 minutes ago (403 AccessDenied)', async () => {
    const token = await mintEksToken(fx.gateway.url, 'iad', { signingDate: new Date(Date.now() - 16 * 60_000) });
    const url = Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString();
    const res = await fetch(url, { headers: { 'x-k8s-aws-id': 'iad' } });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<Code>AccessDenied</Code>');
  });

  it('refuses a tampered signature and a token signed with the wrong secret', async () => {
    const verify = makeEksTokenVerifier(fx.gateway.url);
    const url = new URL(
      Buffer.from((await mintEksToken(fx.gateway.url, 'iad')).slice('k8s-aws-v1.'.length), 'base64url').toString(),
    );
    const sig = url.searchParams.get('X-Amz-Signature')!;
    url.searchParams.set('X-Amz-Signature', (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1));
    const tampered = `k8s-aws-v1.${Buffer.from(url.toString()).toString('base64url')}`;
    expect(await verify(tampered, 'iad')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('SignatureDoesNotMatch'),
    });
    const wrongSecret = await mintEksToken(fx.gateway.url, 'iad', { secretAccessKey: 'not-the-secret' });
    expect(await verify(wrongSecret, 'iad')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('SignatureDoesNotMatch'),
    });
  });

  it('refuses tokens that are not k8s-aws-v1 or point somewhere else', async () => {
    const verify = makeEksTokenVerifier(fx.gateway.url);
    expect(await verify('Bearer-ish', 'iad')).toMatchObject({ ok: false });
    const elsewhere = await mintEksToken('http://127.0.0.1:1', 'iad');
    expect(await verify(elsewhere, 'iad')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('unexpected hostname'),
    });
  });

  it('answers a presigned GetCallerIdentity without x-k8s-aws-id with SignatureDoesNotMatch (403)', async () => {
    const token = await mintEksToken(fx.gateway.url, 'iad');
    const url = Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString();
    const res = await fetch(url);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });
});

describe('EKS tokens that name the real STS host (as kubectl-token.ts mints them)', () => {
  it('reach the gateway STS with that Host, for their cluster only; over http they are refused', async () => {
    const verify = makeEksTokenVerifier(fx.gateway.url);
    const url = presignUrl({
      method: 'GET',
      url: 'https://sts.us-west-2.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15',
      headers: { 'x-k8s-aws-id': 'pdx' },
      accessKeyId: 'testing',
      secretAccessKey: 'testing',
      region: 'us-west-2',
      service: 'sts',
      amzDate: toAmzDate(Date.now()),
      expiresSeconds: 60,
    });
    const token = 'k8s-aws-v1.' + Buffer.from(url).toString('base64url');
    expect(await verify(token, 'pdx')).toEqual({ ok: true, arn: 'arn:aws:iam::123456789012:user/meshops' });
    expect(await verify(token, 'iad')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('SignatureDoesNotMatch'),
    });
    const http = 'k8s-aws-v1.' + Buffer.from(url.replace('https:', 'http:')).toString('base64url');
    expect(await verify(http, 'pdx')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('unexpected scheme "http"'),
    });
  });
});

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

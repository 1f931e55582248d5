import { describe, expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS } from '../../../sandbox/aws/identity.ts';
import { verifyPresignedCallerIdentity } from '../../../sandbox/aws/sts-presigned.ts';
import { buildKubeConfig, eksTokenAuthenticator, KUBECONFIG_MAX_AGE_MS } from '../../../src/kube/access.ts';
import { decodeEksToken, EKS_TOKEN_LIFETIME_MS, mintEksToken, stsEndpointFor } from '../../../src/kube/eks-token.ts';

const NOON = Date.UTC(2026, 0, 15, 12, 0, 0);

describe('EKS bearer token', () => {
  it('is k8s-aws-v1. + unpadded base64url of a presigned GetCallerIdentity URL that signs x-k8s-aws-id', async () => {
    const t = await mintEksToken({
      clusterName: 'demo-iad',
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      stsEndpoint: 'https://sts.us-east-1.amazonaws.com',
      now: NOON,
    });
    expect(t.token).toMatch(/^k8s-aws-v1\.[A-Za-z0-9_-]+$/);
    const url = decodeEksToken(t.token);
    expect(url.origin).toBe('https://sts.us-east-1.amazonaws.com');
    expect(url.pathname).toBe('/');
    expect(url.searchParams.get('Action')).toBe('GetCallerIdentity');
    expect(url.searchParams.get('Version')).toBe('2011-06-15');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    expect(url.searchParams.get('X-Amz-Date')).toBe('20260115T120000Z');
    expect(url.searchParams.get('X-Amz-Credential')).toBe('AKIDEXAMPLE/20260115/us-east-1/sts/aws4_request');
    expect(url.searchParams.get('X-Amz-SignedHeaders')!.split(';')).toEqual(['host', 'x-k8s-aws-id']);
    // The secret key never travels; only its signature does.
    expect(url.toString()).not.toContain('secret');
  });

  it('is valid for 15 minutes from its X-Amz-Date', async () => {
    const t = await mintEksToken({
      clusterName: 'demo-iad',
      region: 'us-west-2',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      stsEndpoint: 'https://sts.us-west-2.amazonaws.com',
      now: NOON + 1234,
    });
    expect(t.issuedAt).toBe(NOON + 1000);
    expect(t.expiresAt - t.issuedAt).toBe(EKS_TOKEN_LIFETIME_MS);
  });

  it('verifies as STS would verify it, against a non-default endpoint (AWS_ENDPOINT_URL style)', async () => {
    const now = Date.now();
    const t = await mintEksToken({
      clusterName: 'demo-pdx',
      region: 'us-west-2',
      credentials: SANDBOX_CREDENTIALS,
      stsEndpoint: 'http://127.0.0.1:4566',
      now,
    });
    const url = decodeEksToken(t.token);
    const ok = await verifyPresignedCallerIdentity(
      { method: 'GET', url: url.pathname + url.search, headers: { host: url.host, 'x-k8s-aws-id': 'demo-pdx' } },
      now,
    );
    expect(ok.status).toBe(200);
    const otherCluster = await verifyPresignedCallerIdentity(
      { method: 'GET', url: url.pathname + url.search, headers: { host: url.host, 'x-k8s-aws-id': 'demo-iad' } },
      now,
    );
    expect(otherCluster.status).toBe(403);
  });

  it('takes the STS endpoint from the SDK env conventions', () => {
    expect(stsEndpointFor('eu-west-1', {})).toBe('https://sts.eu-west-1.amazonaws.com');
    expect(stsEndpointFor('eu-west-1', { AWS_ENDPOINT_URL: 'http://127.0.0.1:9' })).toBe('http://127.0.0.1:9');
    expect(stsEndpointFor('eu-west-1', { AWS_ENDPOINT_URL: 'http://a', AWS_ENDPOINT_URL_STS: 'http://b' })).toBe(
      'http://b',
    );
  });
});

describe('the in-memory KubeConfig', () => {
  it('puts a bearer token on each request and mints a new one when the current one is 10 minutes old', async () => {
    let now = NOON;
    let minted = 0;
    const auth = eksTokenAuthenticator(
      async () => ({ token: `tok-${++minted}`, issuedAt: now, expiresAt: now + EKS_TOKEN_LIFETIME_MS }),
      () => now,
    );
    const kc = buildKubeConfig(
      {
        eksName: 'demo-iad',
        endpoint: 'https://127.0.0.1:6443',
        caData: Buffer.from('not a real CA').toString('base64'),
      },
      auth,
    );
    const headers = async () => {
      const opts: { headers?: Record<string, string> } = {};
      await kc.applyToHTTPSOptions(opts);
      return opts.headers?.Authorization;
    };
    expect(await headers()).toBe('Bearer tok-1');
    now += KUBECONFIG_MAX_AGE_MS - 1;
    expect(await headers()).toBe('Bearer tok-1');
    now += 1;
    expect(await headers()).toBe('Bearer tok-2');
    expect(kc.getCurrentCluster()?.server).toBe('https://127.0.0.1:6443');
    // Nothing secret in what the KubeConfig would export.
    expect(kc.exportConfig()).not.toContain('tok-');
  });
});

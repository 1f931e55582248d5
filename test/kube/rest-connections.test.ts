// The Kubernetes REST client over TLS against a local HTTPS server: successive requests to one cluster share a
// kept-alive connection (one TLS handshake), a connection the server closed while idle is replaced, and each
// answer is noted (src/kube/answered.ts) so that the cluster need not be described again moments later.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeServingCerts } from '../../sandbox/kube/server/certs.ts';
import { buildKubeConfig } from '../../src/kube/access.ts';
import { lastAnswer } from '../../src/kube/answered.ts';
import { kubeRequest } from '../../src/kube/rest.ts';

let server: Server;
let handshakes = 0;
let endpoint = '';
let caData = '';

beforeAll(async () => {
  const certs = await makeServingCerts('rest');
  caData = Buffer.from(certs.caPem).toString('base64');
  server = createServer({ cert: certs.certPem, key: certs.keyPem }, (req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ path: req.url, auth: req.headers.authorization }));
  });
  server.on('secureConnection', () => handshakes++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

const kubeconfig = () =>
  buildKubeConfig(
    { eksName: 'rest', endpoint, caData },
    {
      isAuthProvider: (user) => user.authProvider?.name === 'meshops-eks-token',
      applyAuthentication: async (_user, opts) => {
        opts.headers = { ...opts.headers, Authorization: 'Bearer k8s-aws-v1.test' };
      },
    },
  );

describe('kubeRequest connections', () => {
  it('sends successive requests to one cluster over one TLS connection, each with its token', async () => {
    const kc = kubeconfig();
    handshakes = 0;
    for (let i = 0; i < 5; i++) {
      const got = await kubeRequest<{ path: string; auth: string }>(kc, { method: 'GET', path: `/api/v1/n${i}` });
      expect(got).toEqual({ path: `/api/v1/n${i}`, auth: 'Bearer k8s-aws-v1.test' });
    }
    expect(handshakes).toBe(1);
  });

  it('opens a new connection when the server has closed the idle one', async () => {
    const kc = kubeconfig();
    await kubeRequest(kc, { method: 'GET', path: '/api/v1/a' });
    handshakes = 0;
    server.closeIdleConnections();
    await expect(kubeRequest(kc, { method: 'GET', path: '/api/v1/b' })).resolves.toMatchObject({ path: '/api/v1/b' });
    expect(handshakes).toBe(1);
  });

  it('records when the API server answered through the KubeConfig, and only then', async () => {
    const kc = kubeconfig();
    expect(lastAnswer(kc)).toBeUndefined();
    const before = Date.now();
    await kubeRequest(kc, { method: 'GET', path: '/api/v1/c' });
    expect(lastAnswer(kc)).toBeGreaterThanOrEqual(before);
    const unreachable = buildKubeConfig(
      { eksName: 'gone', endpoint: 'https://127.0.0.1:1', caData },
      { isAuthProvider: () => false, applyAuthentication: async () => {} },
    );
    await expect(kubeRequest(unreachable, { method: 'GET', path: '/api/v1/d' })).rejects.toThrow(
      /Unreachable|ECONNREFUSED/,
    );
    expect(lastAnswer(unreachable)).toBeUndefined();
  });
});

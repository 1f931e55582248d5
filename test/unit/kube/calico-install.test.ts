// Which install manifests each variant fetches, from where, in which order (a local HTTP server plays the host).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyOperator, prefetchOperator } from '../../../src/mesh/kube/calico-install.ts';
import { FakeKube, fakeClock, fakeCtx, testDeps, testSpec } from './fake-kube.ts';

const crd = (name: string) =>
  `apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: ${name}\n`;
const files: Record<string, string> = {
  '/ee/v3.23.1/manifests/operator-crds.yaml': crd('installations.operator.tigera.io'),
  '/ee/v3.23.1/manifests/tigera-operator.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: tigera-operator\n',
  '/ee/v3.23.1/manifests/tigera-prometheus-operator.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: prom\n',
  '/oss/v3.31.7/manifests/tigera-operator.yaml':
    'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: tigera-operator\n',
};

let server: Server;
let base = '';
const seen: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.url ?? '');
    const body = files[req.url ?? ''];
    res.statusCode = body ? 200 : 404;
    res.end(body ?? 'not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** A cluster whose API server marks every CRD Established one poll after it is applied. */
function clusterWithCrds(): { kube: FakeKube; clock: ReturnType<typeof fakeClock> } {
  const kube = new FakeKube().serve('apiextensions.k8s.io/v1', 'CustomResourceDefinition');
  const clock = fakeClock(() => {
    for (const o of kube.objects.values()) {
      if (o.kind === 'CustomResourceDefinition') o.status = { conditions: [{ type: 'Established', status: 'True' }] };
    }
  });
  return { kube, clock };
}

describe('applyOperator', () => {
  it("fetches Calico Enterprise's three manifests from <base>/<version>/manifests/, CRDs first", async () => {
    seen.length = 0;
    const { kube, clock } = clusterWithCrds();
    const spec = testSpec('enterprise');
    const deps = testDeps({ ...spec, calico: { ...spec.calico, manifestBaseUrl: `${base}/ee` } }, clock);
    expect(await applyOperator(fakeCtx(clock), deps, kube)).toBe(3);
    expect(seen).toEqual([
      '/ee/v3.23.1/manifests/operator-crds.yaml',
      '/ee/v3.23.1/manifests/tigera-operator.yaml',
      '/ee/v3.23.1/manifests/tigera-prometheus-operator.yaml',
    ]);
    expect(kube.writes).toEqual([
      'apply CustomResourceDefinition installations.operator.tigera.io',
      'apply Namespace tigera-operator',
      'apply ConfigMap prom',
    ]);
  });

  it('refuses an Enterprise release whose operator-crds.yaml is missing, naming the URL', async () => {
    const { kube, clock } = clusterWithCrds();
    const spec = testSpec('enterprise');
    const deps = testDeps(
      { ...spec, calico: { ...spec.calico, manifestBaseUrl: `${base}/ee`, version: 'v3.22.9' } },
      clock,
    );
    await expect(applyOperator(fakeCtx(clock), deps, kube)).rejects.toThrow(
      `could not fetch ${base}/ee/v3.22.9/manifests/operator-crds.yaml: HTTP 404`,
    );
  });

  it('takes an Open Source release without operator-crds.yaml (before 3.30 the CRDs are in tigera-operator.yaml)', async () => {
    seen.length = 0;
    const { kube, clock } = clusterWithCrds();
    const spec = testSpec('oss');
    const deps = testDeps(
      { ...spec, calico: { ...spec.calico, manifestBaseUrl: `${base}/oss`, version: 'v3.31.7' } },
      clock,
    );
    expect(await applyOperator(fakeCtx(clock), deps, kube)).toBe(1);
    expect(seen).toEqual(['/oss/v3.31.7/manifests/operator-crds.yaml', '/oss/v3.31.7/manifests/tigera-operator.yaml']);
  });

  it('downloads each file once when the prefetch and two clusters ask for it', async () => {
    seen.length = 0;
    const spec = testSpec('enterprise');
    const clusters = [clusterWithCrds(), clusterWithCrds()];
    const deps = testDeps(
      { ...spec, calico: { ...spec.calico, manifestBaseUrl: `${base}/ee2`, version: 'v3.23.1' } },
      clusters[0]!.clock,
    );
    files['/ee2/v3.23.1/manifests/operator-crds.yaml'] = crd('installations.operator.tigera.io');
    files['/ee2/v3.23.1/manifests/tigera-operator.yaml'] = files['/ee/v3.23.1/manifests/tigera-operator.yaml']!;
    files['/ee2/v3.23.1/manifests/tigera-prometheus-operator.yaml'] =
      files['/ee/v3.23.1/manifests/tigera-prometheus-operator.yaml']!;
    expect(await prefetchOperator(deps)).toEqual({
      files: ['operator-crds.yaml', 'tigera-operator.yaml', 'tigera-prometheus-operator.yaml'],
      objects: 3,
    });
    for (const { kube, clock } of clusters) expect(await applyOperator(fakeCtx(clock), deps, kube)).toBe(3);
    expect([...seen].sort()).toEqual([
      '/ee2/v3.23.1/manifests/operator-crds.yaml',
      '/ee2/v3.23.1/manifests/tigera-operator.yaml',
      '/ee2/v3.23.1/manifests/tigera-prometheus-operator.yaml',
    ]);
    expect(clusters[1]!.kube.writes).toContain('apply CustomResourceDefinition installations.operator.tigera.io');
  });

  it('fails the prefetch of a release that does not exist, and forgets the failure', async () => {
    seen.length = 0;
    const spec = testSpec('enterprise');
    const deps = testDeps({ ...spec, calico: { ...spec.calico, manifestBaseUrl: `${base}/ee3`, version: 'v9.9.9' } });
    await expect(prefetchOperator(deps)).rejects.toThrow(/HTTP 404/);
    await expect(prefetchOperator(deps)).rejects.toThrow(/HTTP 404/);
    expect(seen.filter((u) => u.endsWith('/operator-crds.yaml'))).toHaveLength(2);
  });
});

// Calico manifests served over HTTP in raw.githubusercontent.com's layout, OSS and Enterprise.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveManifest } from '../../../sandbox/aws/manifests.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'h3-calico-'));
  mkdirSync(join(dir, 'v3.31.7'), { recursive: true });
  writeFileSync(join(dir, 'v3.31.7', 'operator-crds.yaml'), 'kind: CustomResourceDefinition\n');
  mkdirSync(join(dir, 'enterprise', 'v3.23.1', 'manifests'), { recursive: true });
  writeFileSync(join(dir, 'enterprise', 'v3.23.1', 'manifests', 'tigera-operator.yaml'), 'kind: Deployment\n');
  writeFileSync(join(dir, 'secret.txt'), 'no');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the manifest server', () => {
  it('serves OSS manifests from <version>/<file> and Enterprise ones from enterprise/<version>/manifests/<file>', async () => {
    const oss = await serveManifest(dir, 'GET', '/manifests/calico/v3.31.7/manifests/operator-crds.yaml');
    expect([oss.status, oss.body.toString()]).toEqual([200, 'kind: CustomResourceDefinition\n']);
    const ent = await serveManifest(dir, 'GET', '/manifests/calico-enterprise/v3.23.1/manifests/tigera-operator.yaml');
    expect([ent.status, ent.body.toString()]).toEqual([200, 'kind: Deployment\n']);
  });

  it("serves the three Calico Enterprise v3.23.1 files the product fetches, from the sandbox's own folder", async () => {
    const calico = join(import.meta.dirname, '../../../sandbox/calico');
    for (const file of ['operator-crds.yaml', 'tigera-operator.yaml', 'tigera-prometheus-operator.yaml']) {
      const reply = await serveManifest(calico, 'GET', `/manifests/calico-enterprise/v3.23.1/manifests/${file}`);
      expect(reply.status, file).toBe(200);
      expect(reply.body.toString(), file).toContain('Calico Enterprise v3.23.1');
    }
  });

  it('answers 404 for unknown files and versions and for anything outside its folders', async () => {
    for (const path of [
      '/manifests/calico/v3.31.7/manifests/nope.yaml',
      '/manifests/calico/v9.9.9/manifests/operator-crds.yaml',
      '/manifests/calico/v3.31.7/manifests/..%2F..%2Fsecret.txt',
      '/manifests/calico/../secret.txt',
      '/manifests/other/v3.31.7/manifests/operator-crds.yaml',
    ]) {
      expect((await serveManifest(dir, 'GET', path)).status, path).toBe(404);
    }
    expect((await serveManifest(dir, 'POST', '/manifests/calico/v3.31.7/manifests/operator-crds.yaml')).status).toBe(
      405,
    );
  });
});

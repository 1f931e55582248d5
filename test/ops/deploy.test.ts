// deploy/ renders with the kubectl versions on this machine and an API server accepts every object it makes,
// applied server-side with a server dry run, as a platform team would check it before `kubectl apply -k`.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { kubectl, startSandbox } from '../sandbox-kube-api/harness.ts';

const ROOT = join(import.meta.dirname, '../..');
const BASE = join(ROOT, 'deploy');
const WITH_REDIS = join(ROOT, 'deploy/redis');
// The oldest and newest kubectl installed here (each has its own Kustomize).
const KUBECTL_DIR = '/usr/lib/google-cloud-sdk/bin';
const VERSIONS = ['1.27', '1.33'].filter((v) => existsSync(join(KUBECTL_DIR, `kubectl.${v}`)));

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
} & Record<string, any>;

function render(dir: string, bin = 'kubectl'): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(bin, ['kustomize', dir], { maxBuffer: 8 << 20 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${bin} kustomize ${dir}: ${stderr}`)) : resolve(stdout),
    ),
  );
}
const objects = (text: string): Obj[] => parseAllDocuments(text).map((d) => d.toJS() as Obj);
const podSpecs = (objs: Obj[]) =>
  objs
    .filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')
    .map((o) => ({ o, spec: o.spec.template.spec }));

describe('deploy/ (Kustomize)', () => {
  it.each(VERSIONS)('renders the same objects with kubectl %s', async (v) => {
    const [mine, theirs] = await Promise.all([render(BASE), render(BASE, join(KUBECTL_DIR, `kubectl.${v}`))]);
    const names = (t: string) =>
      objects(t)
        .map((o) => `${o.kind}/${o.metadata.name}`)
        .sort();
    expect(names(theirs)).toEqual(names(mine));
  });

  it('makes web and worker Deployments, a Service, a ServiceAccount for IRSA, PDBs and the spec ConfigMap', async () => {
    const objs = objects(await render(BASE));
    expect(objs.map((o) => `${o.kind}/${o.metadata.name.replace(/-[a-z0-9]{10}$/, '')}`).sort()).toEqual([
      'ConfigMap/meshops-mesh-spec',
      'ConfigMap/meshops-settings',
      'Deployment/meshops-web',
      'Deployment/meshops-worker',
      'PodDisruptionBudget/meshops-web',
      'PodDisruptionBudget/meshops-worker',
      'Service/meshops-web',
      'ServiceAccount/meshops',
    ]);
    const spec = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('meshops-mesh-spec'))!;
    expect(spec.data['mesh.yaml']).toBe(readFileSync(join(ROOT, 'infra/mesh.yaml'), 'utf8'));
    const sa = objs.find((o) => o.kind === 'ServiceAccount')!;
    expect(sa.metadata.annotations?.['eks.amazonaws.com/role-arn']).toMatch(/^arn:aws:iam::\d{12}:role\//);
    // Secrets are referenced, never shipped with values.
    expect(objs.filter((o) => o.kind === 'Secret')).toEqual([]);
    const roles = Object.fromEntries(
      podSpecs(objs).map(({ o, spec }) => [
        o.metadata.name,
        spec.containers[0].env.find((e: any) => e.name === 'ROLE').value,
      ]),
    );
    expect(roles).toEqual({ 'meshops-web': 'web', 'meshops-worker': 'worker' });
  });

  it('runs every container non-root on a read-only root filesystem, with probes, resources and a tmp emptyDir', async () => {
    for (const dir of [BASE, WITH_REDIS]) {
      for (const { o, spec } of podSpecs(objects(await render(dir)))) {
        expect(spec.securityContext.runAsNonRoot, o.metadata.name).toBe(true);
        for (const c of spec.containers) {
          const where = `${o.metadata.name}/${c.name}`;
          expect(c.securityContext, where).toMatchObject({
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ['ALL'] },
          });
          expect(c.resources.requests, where).toBeDefined();
          expect(c.resources.limits.memory, where).toBeDefined();
          expect(c.readinessProbe, where).toBeDefined();
          expect(c.livenessProbe, where).toBeDefined();
          if (c.name === 'meshops') {
            expect([c.readinessProbe.httpGet.path, c.livenessProbe.httpGet.path], where).toEqual([
              '/readyz',
              '/healthz',
            ]);
            const tmp = c.volumeMounts.find((m: any) => m.mountPath === '/tmp');
            expect(spec.volumes.find((v: any) => v.name === tmp?.name)?.emptyDir, where).toBeDefined();
          }
        }
      }
    }
  });

  it('the Redis overlay runs Redis with AOF on a volume and points REDIS_URL at it', async () => {
    const objs = objects(await render(WITH_REDIS));
    const redis = objs.find((o) => o.kind === 'StatefulSet')!;
    const args: string[] = redis.spec.template.spec.containers[0].args;
    expect(args.slice(args.indexOf('--appendonly'), args.indexOf('--appendonly') + 2)).toEqual(['--appendonly', 'yes']);
    expect(redis.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
    const secret = objs.find((o) => o.kind === 'Secret')!;
    expect(Buffer.from(secret.data.url, 'base64').toString()).toBe('redis://meshops-redis-0.meshops-redis:6379');
    for (const { spec } of podSpecs(objs).filter(({ o }) => o.kind === 'Deployment')) {
      const ref = spec.containers[0].env.find((e: any) => e.name === 'REDIS_URL').valueFrom.secretKeyRef;
      expect(ref.name).toBe(secret.metadata.name);
    }
  });

  describe('applied to a sandbox API server (server-side, dry run)', () => {
    let sb: Awaited<ReturnType<typeof startSandbox>>;
    let admin: string;
    beforeAll(async () => {
      sb = await startSandbox();
      admin = sb.kubeconfigFile();
    });
    afterAll(async () => sb?.stop());

    it('is refused before the namespace exists, as a real API server refuses it', async () => {
      const r = await kubectl(admin, ['apply', '--server-side', '--dry-run=server', '-k', BASE]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/namespaces "meshops" not found/);
    });

    it('refuses a Deployment whose selector misses its pods and a PDB with both bounds, as a real one does', async () => {
      await kubectl(admin, ['create', 'namespace', 'meshops']);
      const objs = objects(await render(BASE));
      const web = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'meshops-web')!;
      web.spec.template.metadata.labels = { 'app.kubernetes.io/name': 'other' };
      delete web.spec.template.spec.containers[0].image;
      const pdb = objs.find((o) => o.kind === 'PodDisruptionBudget')!;
      pdb.spec.maxUnavailable = 1;
      for (const o of [web, pdb]) o.metadata.namespace = 'meshops';
      const input = [web, pdb].map((o) => JSON.stringify(o)).join('\n');
      const r = await kubectl(admin, ['apply', '--server-side', '--dry-run=server', '-f', '-'], { input });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('`selector` does not match template `labels`');
      expect(r.stderr).toContain('spec.template.spec.containers[0].image: Required value');
      expect(r.stderr).toContain('minAvailable and maxUnavailable cannot be both set');
    });

    it.each([
      ['deploy/', BASE],
      ['deploy/redis', WITH_REDIS],
    ])('accepts every object of %s and stores none of them', async (_name, dir) => {
      expect((await kubectl(admin, ['create', 'namespace', 'meshops'])).stderr).toMatch(/^$|AlreadyExists/);
      const want = objects(await render(dir)).map((o) => `${o.kind.toLowerCase()}/${o.metadata.name}`);
      const r = await kubectl(admin, ['apply', '--server-side', '--dry-run=server', '-k', dir], { timeoutMs: 60_000 });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const applied = r.stdout
        .trim()
        .split('\n')
        .map((l) => l.match(/^(\S+) serverside-applied \(server dry run\)$/)?.[1]);
      expect(applied.map((a) => a?.replace(/^([a-z]+)\.[a-z0-9.]+\//, '$1/')).sort()).toEqual(want.sort());
      const left = await kubectl(admin, ['get', 'deployments,statefulsets,configmaps', '-n', 'meshops', '-o', 'name']);
      expect(left.stdout.split('\n').filter((l) => l && !l.includes('kube-root-ca.crt'))).toEqual([]);
    });
  });
});

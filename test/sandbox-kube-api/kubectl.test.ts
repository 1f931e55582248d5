// kubectl (1.32) against one API stand-in: what people and the product's scripts run must behave as on EKS.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { echoExec, execOnlyControllers, kubectl, runningPod, startSandbox } from './harness.ts';

const CALICO = join(import.meta.dirname, '../../sandbox/calico/v3.31.7');

describe('kubectl against the API stand-in', () => {
  let sb: Awaited<ReturnType<typeof startSandbox>>;
  let admin: string;

  beforeAll(async () => {
    sb = await startSandbox({ installControllers: execOnlyControllers(echoExec) });
    admin = sb.kubeconfigFile();
    sb.handle.store.create({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'ip-10-0-1-10.ec2.internal', labels: { 'kubernetes.io/os': 'linux' } },
      status: { conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { kubeletVersion: 'v1.34.1-eks-3f7c2a1' } },
    });
    sb.handle.store.create(runningPod('netshoot'));
    sb.handle.logs.append('default', 'netshoot', 'first line');
    sb.handle.logs.append('default', 'netshoot', 'second line');
  });
  afterAll(async () => sb?.stop());

  it('lists nodes with the columns kubectl prints for them', async () => {
    const r = await kubectl(admin, ['get', 'nodes']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\n/);
    expect(r.stdout).toMatch(/ip-10-0-1-10\.ec2\.internal\s+Ready\s+<none>\s+\S+\s+v1\.34\.1-eks-3f7c2a1/);
  });

  it('lists pods in all namespaces, including what EKS installs', async () => {
    const pods = await kubectl(admin, ['get', 'pods', '-A']);
    expect(pods.stdout).toMatch(/default\s+netshoot\s+1\/1\s+Running\s+0/);
    const ds = await kubectl(admin, ['get', 'daemonsets', '-n', 'kube-system', '-l', 'k8s-app=aws-node', '-o', 'name']);
    expect(ds.stdout.trim()).toBe('daemonset.apps/aws-node');
  });

  it('reports the EKS server version', async () => {
    const r = await kubectl(admin, ['version', '-o', 'json']);
    expect(JSON.parse(r.stdout).serverVersion.gitVersion).toMatch(/^v1\.34\.1-eks-/);
  });

  it('refuses client-side apply of the Calico CRDs with the annotation size error, and accepts server-side apply', async () => {
    const crds = join(CALICO, 'operator-crds.yaml');
    const clientSide = await kubectl(admin, ['apply', '-f', crds], { timeoutMs: 60_000 });
    expect(clientSide.code).not.toBe(0);
    expect(clientSide.stderr).toContain('metadata.annotations: Too long: must have at most 262144 bytes');

    const serverSide = await kubectl(admin, ['apply', '--server-side', '-f', crds], { timeoutMs: 60_000 });
    expect(serverSide.stderr).toBe('');
    expect(serverSide.stdout).toContain(
      'customresourcedefinition.apiextensions.k8s.io/installations.operator.tigera.io serverside-applied',
    );
    const count = (readFileSync(crds, 'utf8').match(/^kind: CustomResourceDefinition$/gm) ?? []).length;
    const listed = await kubectl(admin, ['get', 'crd', '-o', 'name']);
    expect(
      listed.stdout
        .trim()
        .split('\n')
        .filter((l) => /tigera\.io|projectcalico\.org|policy\.networking/.test(l)),
    ).toHaveLength(count);

    const operator = await kubectl(admin, ['apply', '--server-side', '-f', join(CALICO, 'tigera-operator.yaml')]);
    expect(operator.stderr).toBe('');
    expect(operator.stdout).toContain('deployment.apps/tigera-operator serverside-applied');
  }, 120_000);

  it('serves custom resources of the applied CRDs, with their printer columns', async () => {
    const installation = [
      'apiVersion: operator.tigera.io/v1',
      'kind: Installation',
      'metadata: {name: default}',
      'spec:',
      '  kubernetesProvider: EKS',
      '  cni: {type: Calico, ipam: {type: Calico}}',
      '  calicoNetwork: {bgp: Disabled, ipPools: [{cidr: 192.168.1.0/24, encapsulation: VXLAN}]}',
    ].join('\n');
    const applied = await kubectl(admin, ['apply', '--server-side', '-f', '-'], { input: installation });
    expect(applied.stdout).toContain('installation.operator.tigera.io/default serverside-applied');

    await kubectl(admin, ['apply', '--server-side', '-f', '-'], {
      input: 'apiVersion: operator.tigera.io/v1\nkind: TigeraStatus\nmetadata: {name: calico}\n',
    });
    const status = JSON.stringify({
      status: {
        conditions: [
          {
            type: 'Available',
            status: 'True',
            lastTransitionTime: new Date(Date.now() - 90_000).toISOString().replace(/\.\d+Z$/, 'Z'),
            reason: 'AllObjectsAvailable',
            message: '',
          },
          {
            type: 'Progressing',
            status: 'False',
            lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
            reason: 'AllObjectsAvailable',
            message: '',
          },
          {
            type: 'Degraded',
            status: 'False',
            lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
            reason: 'AllObjectsAvailable',
            message: '',
          },
        ],
      },
    });
    const patched = await kubectl(admin, [
      'patch',
      'tigerastatus',
      'calico',
      '--subresource=status',
      '--type=merge',
      '-p',
      status,
    ]);
    expect(patched.stderr).toBe('');
    const r = await kubectl(admin, ['get', 'tigerastatus']);
    expect(r.stdout).toMatch(/^NAME\s+AVAILABLE\s+PROGRESSING\s+DEGRADED\s+SINCE/);
    expect(r.stdout).toMatch(/calico\s+True\s+False\s+False\s+(8\d|9\d|1\d\d)s/);
  }, 60_000);

  it('answers auth can-i for a service-account token kubeconfig, yes and no', async () => {
    const steps = [
      ['create', 'serviceaccount', 'reader', '-n', 'default'],
      ['create', 'role', 'pod-reader', '-n', 'default', '--verb=get,list,watch', '--resource=pods,pods/log'],
      [
        'create',
        'rolebinding',
        'reader-binding',
        '-n',
        'default',
        '--role=pod-reader',
        '--serviceaccount=default:reader',
      ],
    ];
    for (const s of steps) expect((await kubectl(admin, s)).stderr).toBe('');
    const secret = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'reader-token',
        namespace: 'default',
        annotations: { 'kubernetes.io/service-account.name': 'reader' },
      },
      type: 'kubernetes.io/service-account-token',
      data: { token: Buffer.from('reader-token-value').toString('base64') },
    });
    expect((await kubectl(admin, ['create', '-f', '-'], { input: secret })).stderr).toBe('');

    const sa = sb.kubeconfigFile('reader-token-value', 'sa-kubeconfig');
    expect((await kubectl(sa, ['auth', 'can-i', 'list', 'pods'])).stdout.trim()).toBe('yes');
    expect((await kubectl(sa, ['auth', 'can-i', 'get', 'pods', '--subresource=log'])).stdout.trim()).toBe('yes');
    const no = await kubectl(sa, ['auth', 'can-i', 'delete', 'pods']);
    expect(no.stdout.trim()).toBe('no');
    expect(no.code).toBe(1);
    expect((await kubectl(sa, ['auth', 'can-i', 'list', 'pods', '-n', 'kube-system'])).stdout.trim()).toBe('no');
    const rules = await kubectl(sa, ['auth', 'can-i', '--list']);
    expect(rules.stdout).toMatch(/pods\/log\s+\[\]\s+\[\]\s+\[get list watch\]/);
    const whoami = await kubectl(sa, ['auth', 'whoami', '-o', 'json']);
    expect(JSON.parse(whoami.stdout).status.userInfo.username).toBe('system:serviceaccount:default:reader');

    const forbidden = await kubectl(sa, ['get', 'secrets']);
    expect(forbidden.stderr).toContain(
      'Error from server (Forbidden): secrets is forbidden: User "system:serviceaccount:default:reader" cannot list resource "secrets" in API group "" in the namespace "default"',
    );
    expect((await kubectl(admin, ['auth', 'can-i', '*', '*'])).stdout.trim()).toBe('yes');
  }, 60_000);

  it('rejects a token nobody issued', async () => {
    const r = await kubectl(sb.kubeconfigFile('k8s-aws-v1.forged', 'forged'), ['get', 'pods']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('You must be logged in to the server (Unauthorized)');
  });

  it('prints pod logs, with --tail', async () => {
    expect((await kubectl(admin, ['logs', 'netshoot'])).stdout).toBe('first line\nsecond line\n');
    expect((await kubectl(admin, ['logs', 'netshoot', '--tail=1'])).stdout).toBe('second line\n');
    const missing = await kubectl(admin, ['logs', 'nope']);
    expect(missing.stderr).toContain('pods "nope" not found');
  });

  it('runs exec over WebSocket and passes the exit code through', async () => {
    const ok = await kubectl(admin, ['exec', 'netshoot', '--', 'ping', '-c', '1', 'web-0.web.default.svc']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('64 bytes: icmp_seq=1 ttl=63 time=64.2 ms');
    const failed = await kubectl(admin, ['exec', 'netshoot', '--', 'false']);
    expect(failed.code).toBe(3);
    expect(failed.stderr).toContain('failed on purpose');
    const missing = await kubectl(admin, ['exec', 'ghost', '--', 'ls']);
    expect(missing.stderr).toContain('pods "ghost" not found');
  });

  it('watches with get -w', async () => {
    await kubectl(admin, ['create', 'configmap', 'before-watch', '--from-literal=a=b']);
    let printed = '';
    const watching = kubectl(admin, ['get', 'configmaps', '-w', '-o', 'name', '--request-timeout=3s'], {
      timeoutMs: 8_000,
      onStdout: (t) => {
        printed += t;
      },
    });
    // The list is printed first; the watch goes on from its resourceVersion, so a change made now is seen.
    await vi.waitFor(() => expect(printed).toContain('configmap/before-watch'), { timeout: 5_000, interval: 20 });
    await kubectl(admin, ['create', 'configmap', 'seen-by-watch', '--from-literal=a=b']);
    const r = await watching;
    expect(r.stdout).toContain('configmap/seen-by-watch');
  });

  it('client-side apply, scale and server-side apply conflict like a real server', async () => {
    const sts = (image: string) =>
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'web', namespace: 'default' },
        spec: {
          replicas: 2,
          serviceName: 'web',
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image }] } },
        },
      });
    expect((await kubectl(admin, ['apply', '-f', '-'], { input: sts('nginx:1.27') })).stdout).toContain(
      'statefulset.apps/web created',
    );
    expect((await kubectl(admin, ['apply', '-f', '-'], { input: sts('nginx:1.28') })).stdout).toContain(
      'statefulset.apps/web configured',
    );
    expect((await kubectl(admin, ['scale', 'statefulset', 'web', '--replicas=3'])).stdout).toContain('scaled');
    const got = JSON.parse((await kubectl(admin, ['get', 'sts', 'web', '-o', 'json'])).stdout);
    expect(got.spec.replicas).toBe(3);
    expect(got.spec.template.spec.containers[0].image).toBe('nginx:1.28');
    const conflict = await kubectl(admin, ['apply', '--server-side', '--field-manager=meshops', '-f', '-'], {
      input: sts('nginx:1.28'),
    });
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toMatch(
      /Apply failed with 1 conflict: conflict with "kubectl[^"]*"( using apps\/v1)?: \.spec\.replicas/,
    );
    const forced = await kubectl(
      admin,
      ['apply', '--server-side', '--field-manager=meshops', '--force-conflicts', '-f', '-'],
      { input: sts('nginx:1.28') },
    );
    expect(forced.stdout).toContain('serverside-applied');
    expect(JSON.parse((await kubectl(admin, ['get', 'sts', 'web', '-o', 'json'])).stdout).spec.replicas).toBe(2);
  }, 60_000);
});

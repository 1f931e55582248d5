// The API stand-in evaluates the CEL rules (x-kubernetes-validations) of Tigera's own CRDs as kube-apiserver does:
// a rule that refuses an object answers 422 in the API server's words, transition rules (oldSelf) hold on update,
// and a value left unchanged is not checked again (validation ratcheting).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoExec, execOnlyControllers, kubectl, kubectlRelease, startSandbox } from './harness.ts';

const ENTERPRISE = join(import.meta.dirname, '../../sandbox/calico/enterprise/v3.23.1/manifests');
const KUBECTL_133 = kubectlRelease('1.33');

function yaml(lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

const pool = (name: string, spec: string[]) =>
  yaml(['apiVersion: crd.projectcalico.org/v1', 'kind: IPPool', `metadata: {name: ${name}}`, 'spec:', ...spec]);

describe('CEL rules in the API stand-in', () => {
  let sb: Awaited<ReturnType<typeof startSandbox>>;
  let admin: string;
  const k = (args: string[], input?: string) => kubectl(admin, args, { input, bin: KUBECTL_133, timeoutMs: 120_000 });

  beforeAll(async () => {
    sb = await startSandbox({ installControllers: execOnlyControllers(echoExec) });
    admin = sb.kubeconfigFile();
    const crds = await k(['apply', '--server-side', '-f', join(ENTERPRISE, 'operator-crds.yaml')]);
    expect(crds.code, crds.stderr).toBe(0);
  }, 180_000);
  afterAll(async () => sb?.stop());

  it("refuses an IPPool with both IPIP and VXLAN by the CRD's rule, as Forbidden", async () => {
    const r = await k(
      ['create', '-f', '-'],
      pool('both', ['  cidr: 192.168.7.0/24', '  ipipMode: Always', '  vxlanMode: Always']),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'The IPPool "both" is invalid: spec: Forbidden: ipipMode and vxlanMode cannot both be enabled',
    );
    const ok = await k(['create', '-f', '-'], pool('vxlan', ['  cidr: 192.168.7.0/24', '  vxlanMode: Always']));
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toContain('ippool.crd.projectcalico.org/vxlan created');
  });

  it('holds a transition rule on update: the CIDR cannot change, other fields can', async () => {
    const moved = await k([
      'patch',
      'ippools.crd.projectcalico.org',
      'vxlan',
      '--type=merge',
      '-p',
      '{"spec":{"cidr":"192.168.8.0/24"}}',
    ]);
    expect(moved.code).toBe(1);
    expect(moved.stderr).toContain(
      'The IPPool "vxlan" is invalid: spec.cidr: Invalid value: "string": CIDR cannot be changed; follow IP pool migration guide to avoid corruption.',
    );
    const nat = await k([
      'patch',
      'ippools.crd.projectcalico.org',
      'vxlan',
      '--type=merge',
      '-p',
      '{"spec":{"natOutgoing":true}}',
    ]);
    expect(nat.stderr).toBe('');
    const got = await k([
      'get',
      'ippools.crd.projectcalico.org',
      'vxlan',
      '-o',
      'jsonpath={.spec.cidr} {.spec.natOutgoing}',
    ]);
    expect(got.stdout).toBe('192.168.7.0/24 true');
  });

  it('words the refusal as Kubernetes 1.35 does on a 1.35 cluster: the value, not its type; objects bare', async () => {
    sb.handle.placement.kubernetesVersion = '1.35';
    try {
      const moved = await k([
        'patch',
        'ippools.crd.projectcalico.org',
        'vxlan',
        '--type=merge',
        '-p',
        '{"spec":{"cidr":"192.168.8.0/24"}}',
      ]);
      expect(moved.stderr).toContain(
        'spec.cidr: Invalid value: "192.168.8.0/24": CIDR cannot be changed; follow IP pool migration guide',
      );
      const inst = 'apiVersion: operator.tigera.io/v1\nkind: Installation\nmetadata: {name: mine}\nspec: {}\n';
      const r = await k(['create', '-f', '-'], inst);
      expect(r.stderr).toContain(
        `The Installation "mine" is invalid: <nil>: Invalid value: resource name must be 'default', 'tigera-secure', or 'overlay'`,
      );
    } finally {
      sb.handle.placement.kubernetesVersion = '1.34';
    }
  });

  it('ratchets: an object stored before the rule held can be labelled, but its spec not changed', async () => {
    // Stored as an older API server (or the stand-in's own controllers) would have left it.
    sb.handle.store.create({
      apiVersion: 'crd.projectcalico.org/v1',
      kind: 'IPPool',
      metadata: { name: 'legacy' },
      spec: { cidr: '192.168.9.0/24', ipipMode: 'Always', vxlanMode: 'Always' },
    });
    const labelled = await k(['label', 'ippools.crd.projectcalico.org', 'legacy', 'team=net']);
    expect(labelled.stderr).toBe('');
    expect(labelled.code).toBe(0);
    const changed = await k([
      'patch',
      'ippools.crd.projectcalico.org',
      'legacy',
      '--type=merge',
      '-p',
      '{"spec":{"natOutgoing":true}}',
    ]);
    expect(changed.code).toBe(1);
    expect(changed.stderr).toContain('spec: Forbidden: ipipMode and vxlanMode cannot both be enabled');
  });

  it('refuses an Installation not named default, tigera-secure or overlay by a rule at the root', async () => {
    const inst = yaml([
      'apiVersion: operator.tigera.io/v1',
      'kind: Installation',
      'metadata: {name: mine}',
      'spec: {variant: Calico}',
    ]);
    const r = await k(['apply', '--server-side', '-f', '-'], inst);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `The Installation "mine" is invalid: <nil>: Invalid value: "object": resource name must be 'default', 'tigera-secure', or 'overlay'`,
    );
    const ok = await k(['apply', '--server-side', '-f', '-'], inst.replace('name: mine', 'name: default'));
    expect(ok.stderr).toBe('');
  });
});

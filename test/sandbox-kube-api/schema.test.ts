// The API stand-in is as strict about object schemas as kube-apiserver: custom resources are checked against their
// CRD's openAPIV3Schema (pruning, defaults, value validation), built-in kinds against Kubernetes' own types, and
// unknown fields are refused, warned about or dropped as fieldValidation says, in the API server's own words.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { buildEnterprise } from '../../sandbox/calico/build-enterprise.ts';
import { PermanentError } from '../../src/errors.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { echoExec, execOnlyControllers, failure, kubectl, kubectlRelease, startSandbox } from './harness.ts';

const CALICO = join(import.meta.dirname, '../../sandbox/calico');
const OSS = join(CALICO, 'v3.31.7');
const ENTERPRISE = join(CALICO, 'enterprise/v3.23.1/manifests');
const SHARED = [
  join(import.meta.dirname, '../../../shared/calico'),
  join(import.meta.dirname, '../../../../shared/calico'),
].find((d) => existsSync(join(d, 'enterprise-v3.23.1')));
const KUBECTL_127 = kubectlRelease('1.27');
const KUBECTL_133 = kubectlRelease('1.33');

function yaml(lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

const statefulSet = (extra: string[]) =>
  yaml([
    'apiVersion: apps/v1',
    'kind: StatefulSet',
    'metadata: {name: web, namespace: default}',
    'spec:',
    '  serviceName: web',
    '  selector: {matchLabels: {app: web}}',
    '  template:',
    '    metadata: {labels: {app: web}}',
    '    spec:',
    '      containers:',
    '        - name: nginx',
    '          image: registry.k8s.io/nginx-slim:0.27',
    ...extra,
  ]);

describe('schemas in the API stand-in', () => {
  let sb: Awaited<ReturnType<typeof startSandbox>>;
  let admin: string;

  beforeAll(async () => {
    sb = await startSandbox({ installControllers: execOnlyControllers(echoExec) });
    admin = sb.kubeconfigFile();
  });
  afterAll(async () => sb?.stop());

  it('accepts the real Calico Open Source v3.31.7 manifests applied server-side by kubectl 1.27', async () => {
    const r = await kubectl(
      admin,
      ['apply', '--server-side', '-f', join(OSS, 'operator-crds.yaml'), '-f', join(OSS, 'tigera-operator.yaml')],
      {
        bin: KUBECTL_127,
        timeoutMs: 120_000,
      },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('deployment.apps/tigera-operator serverside-applied');
  });

  it('accepts the Enterprise v3.23.1 manifests over them with kubectl 1.33, as an upgrade to Enterprise', async () => {
    const files = ['operator-crds.yaml', 'tigera-operator.yaml', 'tigera-prometheus-operator.yaml'].flatMap((f) => [
      '-f',
      join(ENTERPRISE, f),
    ]);
    const r = await kubectl(admin, ['apply', '--server-side', '--force-conflicts', ...files], {
      bin: KUBECTL_133,
      timeoutMs: 120_000,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'customresourcedefinition.apiextensions.k8s.io/licensekeys.crd.projectcalico.org serverside-applied',
    );
    expect(r.stdout).toContain(
      'customresourcedefinition.apiextensions.k8s.io/remoteclusterconfigurations.crd.projectcalico.org serverside-applied',
    );
    const op = await kubectl(admin, [
      'get',
      'deployment',
      '-n',
      'tigera-operator',
      'tigera-operator',
      '-o',
      'jsonpath={.spec.template.spec.containers[0].image}',
    ]);
    expect(op.stdout).toBe('quay.io/tigera/operator:v1.42.4');
  });

  it("serves Enterprise CRDs that are tigera/operator v1.42.4's own, unchanged, and rebuilds the manifests byte for byte", () => {
    // The committed manifests are the ones built from the reference data (SHA256SUMS was taken then), so a fresh
    // checkout without ../shared still proves they were not edited by hand.
    const sums = readFileSync(join(ENTERPRISE, '..', 'SHA256SUMS'), 'utf8')
      .trim()
      .split('\n');
    expect(sums).toHaveLength(3);
    for (const [sum, file] of sums.map((l) => l.split(/\s+/)))
      expect(
        createHash('sha256')
          .update(readFileSync(join(ENTERPRISE, file!)))
          .digest('hex'),
        file,
      ).toBe(sum);
    // Beside the reference data (shared/calico, as in this workplace), the provenance itself is checked again.
    if (!SHARED) return;
    const served = parseAllDocuments(readFileSync(join(ENTERPRISE, 'operator-crds.yaml'), 'utf8')).map((d) => d.toJS());
    for (const rel of [
      'enterprise-crds/v1.crd.projectcalico.org/crd.projectcalico.org_remoteclusterconfigurations.yaml',
      'operator-crds/operator.tigera.io_installations.yaml',
    ]) {
      const original = parseAllDocuments(readFileSync(join(SHARED!, 'enterprise-v3.23.1', rel), 'utf8'))[0]!.toJS() as {
        metadata: { name: string };
      };
      expect(served.find((d) => d?.metadata?.name === original.metadata.name)).toEqual(original);
    }
    for (const [file, text] of Object.entries(buildEnterprise(SHARED!)))
      expect(readFileSync(join(ENTERPRISE, file), 'utf8')).toBe(text);
  });

  it("refuses a FelixConfiguration field Tigera's schema lacks, applied through the product's client, as kube-apiserver does", async () => {
    const client = new KubeClient(sb.kubeConfig());
    const felix = {
      apiVersion: 'crd.projectcalico.org/v1',
      kind: 'FelixConfiguration',
      metadata: { name: 'default' },
      spec: {
        flowLogsFlushInterval: '15s',
        flowLogsFileAggregationKindForAllowed: 1,
        flowLogsEnableHostEndpoint: true,
        dnsLogsFlushInterval: '15s',
      },
    };
    const err = (await failure(
      client.apply({ ...felix, spec: { ...felix.spec, flowLogsFlushIntervalSeconds: 15 } }),
    )) as Error;
    expect(err.message).toContain(
      '500 Internal Server Error: failed to create typed patch object (/default; crd.projectcalico.org/v1, Kind=FelixConfiguration): .spec.flowLogsFlushIntervalSeconds: field not declared in schema',
    );
    // A retry cannot fix an object the schema refuses: the job fails at once instead of retrying for minutes.
    expect(err).toBeInstanceOf(PermanentError);
    const stored = await client.apply<{ spec: Record<string, unknown> }>(felix);
    expect(stored.spec).toMatchObject(felix.spec);
  });

  it('refuses a RemoteClusterConfiguration field the schema lacks with kubectl apply --server-side, 1.27 and 1.33', async () => {
    const rcc = yaml([
      'apiVersion: crd.projectcalico.org/v1',
      'kind: RemoteClusterConfiguration',
      'metadata: {name: pdx}',
      'spec:',
      '  datastoreType: kubernetes',
      '  clusterAccessSecret: {name: remote-cluster-secret-pdx, namespace: calico-system, kind: Secret}',
      '  syncOptions: {overlayRoutingMode: Enabled}',
      '  kubeconfigSecret: remote-cluster-secret-pdx',
    ]);
    for (const bin of [KUBECTL_127, KUBECTL_133]) {
      const r = await kubectl(admin, ['apply', '--server-side', '-f', '-'], { input: rcc, bin });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        'failed to create typed patch object (/pdx; crd.projectcalico.org/v1, Kind=RemoteClusterConfiguration): .spec.kubeconfigSecret: field not declared in schema',
      );
    }
    const ok = await kubectl(admin, ['apply', '--server-side', '-f', '-'], {
      input: rcc.replace(/^ {2}kubeconfigSecret.*\n/m, ''),
      bin: KUBECTL_133,
    });
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toContain('remoteclusterconfiguration.crd.projectcalico.org/pdx serverside-applied');
  });

  it("refuses unknown fields under Strict in the API server's words, warns under Warn and prunes under Ignore", async () => {
    const pool = (name: string) =>
      yaml([
        'apiVersion: crd.projectcalico.org/v1',
        'kind: IPPool',
        `metadata: {name: ${name}}`,
        'spec:',
        '  cidr: 192.168.9.0/24',
        '  vxlanMode: Always',
        '  encapsulation: VXLAN',
      ]);
    const strict = await kubectl(admin, ['create', '-f', '-'], { input: pool('strict'), bin: KUBECTL_133 });
    expect(strict.stderr).toContain(
      'Error from server (BadRequest): error when creating "STDIN": IPPool in version "v1" cannot be handled as a IPPool: strict decoding error: unknown field "spec.encapsulation"',
    );
    const warned = await kubectl(admin, ['create', '--validate=warn', '-f', '-'], {
      input: pool('warned'),
      bin: KUBECTL_127,
    });
    expect(warned.code).toBe(0);
    expect(warned.stderr).toContain('Warning: unknown field "spec.encapsulation"');
    const ignored = await kubectl(admin, ['create', '--validate=false', '-f', '-'], { input: pool('ignored') });
    expect(ignored.code).toBe(0);
    expect(ignored.stderr).toBe('');
    for (const name of ['warned', 'ignored']) {
      const got = JSON.parse(
        (await kubectl(admin, ['get', 'ippools.crd.projectcalico.org', name, '-o', 'json'])).stdout,
      ) as { spec: Record<string, unknown> };
      // Pruned, and defaulted from the schema (assignmentMode defaults to Automatic).
      expect(got.spec).toEqual({ cidr: '192.168.9.0/24', vxlanMode: 'Always', assignmentMode: 'Automatic' });
    }
  });

  it('validates values against the openAPIV3Schema and answers 422 as kube-apiserver words it', async () => {
    const bad = yaml([
      'apiVersion: crd.projectcalico.org/v1',
      'kind: IPPool',
      'metadata: {name: bad}',
      'spec:',
      '  vxlanMode: Sometimes',
      '  blockSize: big',
    ]);
    const r = await kubectl(admin, ['create', '-f', '-'], { input: bad });
    expect(r.stderr).toContain('The IPPool "bad" is invalid: ');
    expect(r.stderr).toContain(
      'spec.vxlanMode: Unsupported value: "Sometimes": supported values: "Never", "Always", "CrossSubnet"',
    );
    expect(r.stderr).toContain(
      'spec.blockSize: Invalid value: "string": spec.blockSize in body must be of type integer: "string"',
    );
    expect(r.stderr).toContain('spec.cidr: Required value');
    const felix = yaml([
      'apiVersion: crd.projectcalico.org/v1',
      'kind: FelixConfiguration',
      'metadata: {name: loud}',
      'spec:',
      '  logSeverityScreen: Loud',
    ]);
    const f = await kubectl(admin, ['create', '-f', '-'], { input: felix });
    expect(f.stderr).toContain(
      `The FelixConfiguration "loud" is invalid: spec.logSeverityScreen: Invalid value: "Loud": spec.logSeverityScreen in body should match '^(?i)(Trace|Debug|Info|Warning|Error|Fatal)?$'`,
    );
    const lower = await kubectl(admin, ['create', '-f', '-'], {
      input: felix.replace('Loud', 'warning').replace('loud', 'quiet'),
    });
    expect(lower.stderr).toBe('');
  });

  it('types an applied Installation before validating it, as server-side apply does: 500, then 422', async () => {
    const client = new KubeClient(sb.kubeConfig());
    const installation = (spec: Record<string, unknown>) => ({
      apiVersion: 'operator.tigera.io/v1',
      kind: 'Installation',
      metadata: { name: 'default' },
      spec: { kubernetesProvider: 'EKS', cni: { type: 'Calico' }, ...spec },
    });
    const network = { bgp: 'Disabled', ipPools: [{ cidr: '192.168.1.0/24', encapsulation: 'VXLAN' }] };
    const typed = (await failure(
      client.apply(installation({ variant: 'TigeraSecureEnterprise', calicoNetwork: { ...network, mtu: '8450' } })),
    )) as Error;
    expect(typed.message).toContain(
      '(/default; operator.tigera.io/v1, Kind=Installation): .spec.calicoNetwork.mtu: expected numeric (int or float), got string',
    );
    const invalid = (await failure(
      client.apply(installation({ variant: 'Enterprise', calicoNetwork: network })),
    )) as Error;
    expect(invalid.message).toContain(
      'Installation.operator.tigera.io "default" is invalid: spec.variant: Unsupported value: "Enterprise"',
    );
    const ok = await client.apply<{ spec: Record<string, unknown> }>(
      installation({
        variant: 'TigeraSecureEnterprise',
        typhaMetricsPort: 9093,
        calicoNetwork: { ...network, mtu: 8450 },
      }),
    );
    expect(ok.spec).toMatchObject({
      variant: 'TigeraSecureEnterprise',
      typhaMetricsPort: 9093,
      calicoNetwork: { mtu: 8450 },
    });
  });

  it('holds projectcalico.org/v3 (calico-apiserver) to the Go types its crd.projectcalico.org/v1 CRD is made from', async () => {
    // What the simulated calico-apiserver registers once it runs (sandbox/kube/controllers).
    sb.handle.api.register({
      group: 'projectcalico.org',
      version: 'v3',
      kind: 'FelixConfiguration',
      plural: 'felixconfigurations',
      singular: 'felixconfiguration',
      namespaced: false,
    });
    const client = new KubeClient(sb.kubeConfig());
    const v3 = { apiVersion: 'projectcalico.org/v3', kind: 'FelixConfiguration', metadata: { name: 'v3' } };
    const err = (await failure(
      client.apply({ ...v3, spec: { flowLogsFlushInterval: '15s', flowLogsFileAggregationKindForAllowed: 7 } }),
    )) as Error;
    expect(err.message).toContain(
      'FelixConfiguration.projectcalico.org "v3" is invalid: spec.flowLogsFileAggregationKindForAllowed: Unsupported value: 7: supported values: 0, 1, 2',
    );
    const unknown = (await failure(client.apply({ ...v3, spec: { flowLogsFlushIntervalSecs: 15 } }))) as Error;
    expect(unknown.message).toContain(
      '(/v3; projectcalico.org/v3, Kind=FelixConfiguration): .spec.flowLogsFlushIntervalSecs: field not declared in schema',
    );
    await client.apply({ ...v3, spec: { flowLogsFlushInterval: '15s', flowLogsFileAggregationKindForAllowed: 1 } });
  });

  it('refuses a StatefulSet with an unknown field under Strict, prunes it otherwise, and refuses a wrong type', async () => {
    const typo = statefulSet(['          imagePullPolicyy: IfNotPresent']);
    const strict = await kubectl(admin, ['create', '-f', '-'], { input: typo, bin: KUBECTL_133 });
    expect(strict.stderr).toContain(
      'StatefulSet in version "v1" cannot be handled as a StatefulSet: strict decoding error: unknown field "spec.template.spec.containers[0].imagePullPolicyy"',
    );
    const ssa = await kubectl(admin, ['apply', '--server-side', '-f', '-'], { input: typo, bin: KUBECTL_127 });
    expect(ssa.stderr).toContain(
      '.spec.template.spec.containers[name="nginx"].imagePullPolicyy: field not declared in schema',
    );
    const wrongType = await kubectl(admin, ['create', '-f', '-'], {
      input: typo.replace('  serviceName: web', '  serviceName: web\n  replicas: two'),
    });
    expect(wrongType.stderr).toContain(
      'StatefulSet in version "v1" cannot be handled as a StatefulSet: json: cannot unmarshal string into Go struct field StatefulSetSpec.spec.replicas of type int32',
    );
    const pruned = await kubectl(admin, ['create', '--validate=false', '-f', '-'], { input: typo });
    expect(pruned.code).toBe(0);
    const got = await kubectl(admin, [
      'get',
      'statefulset',
      'web',
      '-o',
      'jsonpath={.spec.template.spec.containers[0]}',
    ]);
    expect(JSON.parse(got.stdout)).toEqual({ name: 'nginx', image: 'registry.k8s.io/nginx-slim:0.27' });
  });

  it('checks other built-in kinds against their Kubernetes types: Service, Role, Secret, ConfigMap', async () => {
    const cases: Array<[string, string]> = [
      [
        yaml([
          'apiVersion: v1',
          'kind: Service',
          'metadata: {name: s}',
          'spec:',
          '  ports: [{port: 80, targetPorts: 8080}]',
        ]),
        'unknown field "spec.ports[0].targetPorts"',
      ],
      [
        yaml([
          'apiVersion: rbac.authorization.k8s.io/v1',
          'kind: Role',
          'metadata: {name: r}',
          'rules:',
          '  - {apiGroups: [""], resource: [pods], verbs: [get]}',
        ]),
        'unknown field "rules[0].resource"',
      ],
      [
        yaml(['apiVersion: v1', 'kind: Secret', 'metadata: {name: x}', 'stringdata: {a: b}']),
        'unknown field "stringdata"',
      ],
      [
        yaml(['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: c, label: {a: b}}', 'data: {a: b}']),
        'unknown field "metadata.label"',
      ],
    ];
    for (const [input, message] of cases) {
      const r = await kubectl(admin, ['create', '-f', '-'], { input });
      expect(r.stderr).toContain(`strict decoding error: ${message}`);
    }
    const port = await kubectl(admin, ['create', '-f', '-'], {
      input: cases[0]![0].replace('targetPorts: 8080', 'targetPort: eighty'),
    });
    expect(port.stderr).toBe('');
  });
});

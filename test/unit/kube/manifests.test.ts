import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { systemClock } from '../../../src/clock.ts';
import type { MeshSpec } from '../../../src/config/spec-types.ts';
import type { Deps } from '../../../src/deps.ts';
import { renderManifests } from '../../../src/kube/template.ts';
import { installationObjects } from '../../../src/mesh/kube/calico-install.ts';
import { destinationObjects, federationKubeconfig } from '../../../src/mesh/kube/federation.ts';
import { workloadObjects } from '../../../src/mesh/kube/workloads.ts';

function spec(variant: MeshSpec['calico']['variant'] = 'enterprise', namespace = 'default'): MeshSpec {
  const ng = { instanceType: 'm5.xlarge', desiredSize: 3, minSize: 0, maxSize: 8, diskSizeGiB: 100 };
  return {
    name: 'demo',
    kubernetesVersion: '1.34',
    calico: {
      version: 'v3.22.2',
      variant,
      encapsulation: 'VXLAN',
      manifestBaseUrl: 'http://127.0.0.1:1/manifests/calico-enterprise',
    },
    workloads: {
      namespace,
      replicas: 2,
      maxReplicas: 20,
      image: 'nginx:1.27',
      netshootImage: 'nicolaka/netshoot:v0.13',
    },
    clusters: [
      { name: 'iad', region: 'us-east-1', vpcCidr: '10.0.0.0/16', podCidr: '192.168.1.0/24', nodeGroup: ng },
      { name: 'pdx', region: 'us-west-2', vpcCidr: '10.1.0.0/16', podCidr: '192.168.2.0/24', nodeGroup: ng },
      { name: 'fra', region: 'eu-central-1', vpcCidr: '10.2.0.0/16', podCidr: '192.168.3.0/24', nodeGroup: ng },
    ],
  };
}

function deps(s: MeshSpec): Deps {
  return {
    spec: s,
    aws: {
      ec2: () => {
        throw new Error('no AWS');
      },
      eks: () => {
        throw new Error('no AWS');
      },
      elbv2: () => {
        throw new Error('no AWS');
      },
      elb: () => {
        throw new Error('no AWS');
      },
      iam: () => {
        throw new Error('no AWS');
      },
      sts: () => {
        throw new Error('no AWS');
      },
    },
    kube: {
      forCluster: async () => {
        throw new Error('no cluster');
      },
    },
    calico: {},
    clock: systemClock,
    log: pino({ level: 'silent' }),
    pollIntervalMs: 10,
  };
}

describe('manifest templates', () => {
  it('fill values into parsed strings, never into YAML syntax', () => {
    const [o] = renderManifests(
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "{{name}}"\ndata:\n  a: "x-{{v}}-y"\n  n: "{{n}}"\n',
      {
        name: 'cm',
        v: 'evil\n---\nkind: Secret',
        n: 3,
      },
    );
    expect(o.metadata.name).toBe('cm');
    expect((o.data as Record<string, unknown>).a).toBe('x-evil\n---\nkind: Secret-y');
    expect((o.data as Record<string, unknown>).n).toBe(3);
  });

  it('refuse to render with a value missing', () => {
    expect(() => renderManifests('kind: X\napiVersion: v1\nmetadata:\n  name: "{{nope}}"\n', {})).toThrow(
      /no value for \{\{nope\}\}/,
    );
  });
});

describe('workloads for one cluster', () => {
  const objs = workloadObjects(deps(spec()), spec().clusters[0]);
  const byKindName = (kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === name)!;

  it('are the headless Service and StatefulSet of the blueprint, labelled as meshops objects', () => {
    const svc = byKindName('Service', 'multi-cluster-rs-iad');
    expect(svc.spec).toMatchObject({ clusterIP: 'None', selector: { run: 'multi-cluster-rs-iad' } });
    const sts = byKindName('StatefulSet', 'multi-cluster-rs-iad');
    expect(sts.spec).toMatchObject({ replicas: 2, serviceName: 'multi-cluster-rs-iad' });
    for (const o of objs)
      expect(o.metadata.labels).toMatchObject({ 'meshops.io/mesh': 'demo', 'app.kubernetes.io/managed-by': 'meshops' });
  });

  it('include a federated Service per other cluster that selects the remote Service but not itself', () => {
    for (const other of ['pdx', 'fra']) {
      const fed = byKindName('Service', `multi-cluster-rs-${other}`);
      expect(fed.metadata.annotations?.['federation.tigera.io/serviceSelector']).toBe(
        `run == "multi-cluster-rs-${other}"`,
      );
      expect(fed.spec).not.toHaveProperty('selector');
      expect(fed.metadata.labels?.run).toBeUndefined();
    }
    expect(objs.some((o) => o.metadata.name === 'multi-cluster-rs-iad' && o.metadata.annotations)).toBe(false);
  });

  it('include netshoot sleeping forever, and a Namespace only when it is not default', () => {
    expect(byKindName('Pod', 'netshoot').spec).toMatchObject({
      containers: [{ image: 'nicolaka/netshoot:v0.13', command: ['sleep', 'infinity'] }],
    });
    expect(objs.some((o) => o.kind === 'Namespace')).toBe(false);
    const other = workloadObjects(deps(spec('enterprise', 'mesh-test')), spec().clusters[1]);
    expect(other[0]).toMatchObject({ kind: 'Namespace', metadata: { name: 'mesh-test' } });
    expect(other.filter((o) => o.kind !== 'Namespace').every((o) => o.metadata.namespace === 'mesh-test')).toBe(true);
  });
});

describe('the Calico Installation', () => {
  it("sets Calico CNI and IPAM on EKS with this cluster's own pool", () => {
    const [inst, apiServer] = installationObjects(deps(spec('oss')), spec().clusters[1]);
    expect(inst.spec).toEqual({
      kubernetesProvider: 'EKS',
      typhaMetricsPort: 9093,
      cni: { type: 'Calico', ipam: { type: 'Calico' } },
      calicoNetwork: {
        bgp: 'Disabled',
        mtu: 8450,
        ipPools: [
          {
            name: 'default-ipv4-ippool',
            cidr: '192.168.2.0/24',
            encapsulation: 'VXLAN',
            natOutgoing: 'Enabled',
            nodeSelector: 'all()',
          },
        ],
      },
    });
    expect(apiServer).toMatchObject({ kind: 'APIServer', metadata: { name: 'default' } });
  });

  it('asks for the Enterprise variant with the pull secret for Enterprise', () => {
    const [inst] = installationObjects(deps(spec('enterprise')), spec().clusters[0]);
    expect(inst.spec).toMatchObject({
      variant: 'TigeraSecureEnterprise',
      imagePullSecrets: [{ name: 'tigera-pull-secret' }],
    });
  });
});

describe('the federation kubeconfig and remote cluster secret', () => {
  const token = 'eyJhbGciOiJSUzI1NiJ9.payload:with "quotes"\nand-newline';
  const kubeconfig = federationKubeconfig('iad', { endpoint: 'https://1.2.3.4:443', caData: 'Q0EtREFUQQ==' }, token);

  it('is a kubeconfig for the source cluster with the service-account token', () => {
    const kc = parse(kubeconfig);
    expect(kc.clusters[0].cluster).toEqual({
      server: 'https://1.2.3.4:443',
      'certificate-authority-data': 'Q0EtREFUQQ==',
    });
    expect(kc.users[0].user.token).toBe(token);
    expect(kc['current-context']).toBe(kc.contexts[0].name);
  });

  it('lands in <source>-secret base64-encoded, next to a RemoteClusterConfiguration named after the source', () => {
    const objs = destinationObjects(deps(spec()), 'iad', kubeconfig);
    const secret = objs.find((o) => o.kind === 'Secret')!;
    expect(secret.metadata).toMatchObject({ name: 'iad-secret', namespace: 'calico-system' });
    const data = secret.data as Record<string, string>;
    expect(Buffer.from(data.datastoreType, 'base64').toString()).toBe('kubernetes');
    expect(Buffer.from(data.kubeconfig, 'base64').toString()).toBe(kubeconfig);
    const rcc = objs.find((o) => o.kind === 'RemoteClusterConfiguration')!;
    expect(rcc).toMatchObject({
      apiVersion: 'projectcalico.org/v3',
      metadata: { name: 'iad' },
      spec: {
        clusterAccessSecret: { name: 'iad-secret', namespace: 'calico-system', kind: 'Secret' },
        syncOptions: { overlayRoutingMode: 'Enabled' },
      },
    });
    const binding = objs.find((o) => o.kind === 'RoleBinding')!;
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'calico-typha', namespace: 'calico-system' }]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MotoServer, startMoto } from '../../sandbox/aws/moto.ts';
import type { ControllerEnv } from '../../sandbox/contracts.ts';
import type { KubeObject } from '../../sandbox/kube/store.ts';
import {
  applyManifestFile,
  installation,
  makeCluster,
  makeVpc,
  pullSecret,
  readyCondition,
  type TestCluster,
  type TestVpc,
  tigeraCondition,
  tinyProfile,
  waitFor,
} from './harness.ts';

let moto: MotoServer;
const clusters: TestCluster[] = [];
let env: ControllerEnv;
// Clusters share one VPC per region (as several EKS clusters may): only the cluster under test differs.
let eastVpc: TestVpc;
let westVpc: TestVpc;

beforeAll(async () => {
  moto = await startMoto();
  env = { profile: tinyProfile, motoEndpoint: moto.endpoint, clusters: () => clusters.map((c) => c.handle) };
  [eastVpc, westVpc] = await Promise.all([
    makeVpc(moto.endpoint, 'us-east-1', '10.0.0.0/16'),
    makeVpc(moto.endpoint, 'us-west-2', '10.1.0.0/16'),
  ]);
});

afterAll(async () => {
  for (const c of clusters) c.controllers.stop();
  await moto?.stop();
});

const nodesOf = (c: TestCluster) => c.store.list('', 'Node');
const podsOf = (c: TestCluster, ns: string) => c.store.list('', 'Pod', ns);

function statefulSet(name: string, replicas: number): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'nginx', image: 'nginx:1.27', ports: [{ name: 'http', containerPort: 80 }] }] },
      },
    },
  };
}

describe('nodes follow the node group', () => {
  it('creates EKS-shaped nodes in the group subnets that turn Ready with the VPC CNI, and scales in', async () => {
    const vpc = eastVpc;
    const c = makeCluster(env, 'iad', vpc, clusters);
    c.controllers.setNodeGroup({ name: 'iad-ng', desiredSize: 3, instanceType: 'm5.xlarge', subnetIds: vpc.subnetIds });
    const nodes = await waitFor('3 Ready nodes', () => {
      const n = nodesOf(c);
      return n.length === 3 && n.every((x) => readyCondition(x)?.status === 'True') && n;
    });
    for (const node of nodes) {
      expect(node.metadata.name).toMatch(/^ip-10-0-\d+-\d+\.ec2\.internal$/);
      const labels = node.metadata.labels!;
      expect(labels['eks.amazonaws.com/nodegroup']).toBe('iad-ng');
      expect(labels['node.kubernetes.io/instance-type']).toBe('m5.xlarge');
      expect(labels['topology.kubernetes.io/region']).toBe('us-east-1');
      expect(['us-east-1a', 'us-east-1b']).toContain(labels['topology.kubernetes.io/zone']);
      const ip = (node.status as { addresses: Array<{ type: string; address: string }> }).addresses.find(
        (a) => a.type === 'InternalIP',
      )!.address;
      expect(ip).toMatch(/^10\.0\.(1[6-9][0-9]|2[0-1][0-9])\./); // inside 10.0.160.0/20 or 10.0.176.0/20
      expect((node.status as { nodeInfo: { kubeletVersion: string } }).nodeInfo.kubeletVersion).toMatch(/^v1\.34\./);
    }
    c.controllers.setNodeGroup({ name: 'iad-ng', desiredSize: 1, instanceType: 'm5.xlarge', subnetIds: vpc.subnetIds });
    await waitFor('scale in to 1', () => nodesOf(c).length === 1);
    c.controllers.deleteNodeGroup('iad-ng');
    await waitFor('no nodes', () => nodesOf(c).length === 0);
  });

  it('keeps new nodes NotReady after aws-node is deleted, until Calico runs on them', async () => {
    const vpc = eastVpc;
    const c = makeCluster(env, 'cni', vpc, clusters);
    c.store.delete('apps', 'DaemonSet', 'kube-system', 'aws-node');
    applyManifestFile(c.store, 'sandbox/calico/v3.31.7/tigera-operator.yaml');
    c.store.create(installation({ cidr: '192.168.1.0/24' }));
    c.controllers.setNodeGroup({ name: 'ng', desiredSize: 2, instanceType: 'm5.xlarge', subnetIds: vpc.subnetIds });
    // Kubelets come up, but no CNI: NotReady with the kubelet's own words.
    await waitFor('NotReady nodes without CNI', () => {
      const n = nodesOf(c);
      return n.length === 2 && n.every((x) => /cni plugin not initialized/.test(readyCondition(x)?.message ?? ''));
    });
    expect(nodesOf(c).every((n) => readyCondition(n)?.status === 'False')).toBe(true);
    // The operator (host network, tolerates everything) runs on a NotReady node and installs Calico.
    await waitFor(
      'nodes Ready with Calico',
      () => nodesOf(c).every((x) => readyCondition(x)?.status === 'True'),
      5_000,
    );
    await waitFor(
      'TigeraStatus calico Available',
      () => tigeraCondition(c.store, 'calico', 'Available')?.status === 'True',
    );
    expect(c.store.get('apps', 'DaemonSet', 'calico-system', 'calico-node')).toBeDefined();
    expect(c.store.get('apps', 'Deployment', 'calico-system', 'calico-typha')).toBeDefined();
    expect(c.store.get('', 'ServiceAccount', 'calico-system', 'calico-typha')).toBeDefined();
    expect(c.store.get('crd.projectcalico.org', 'IPPool', undefined, 'default-ipv4-ippool')).toMatchObject({
      spec: { cidr: '192.168.1.0/24', vxlanMode: 'Always' },
    });
    // Workload pods get addresses from the Calico pool.
    c.store.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'netshoot', namespace: 'default' },
      spec: { containers: [{ name: 'netshoot', image: 'nicolaka/netshoot', command: ['sleep', 'infinity'] }] },
    });
    const pod = await waitFor('netshoot Ready', () => {
      const p = c.store.get('', 'Pod', 'default', 'netshoot');
      return readyCondition(p)?.status === 'True' && p;
    });
    expect((pod.status as { podIP: string }).podIP).toMatch(/^192\.168\.1\./);
    const typhaPod = podsOf(c, 'calico-system').find((p) => p.metadata.labels?.['k8s-app'] === 'calico-typha')!;
    expect(
      c.handle.logs
        .read('calico-system', typhaPod.metadata.name)
        .map((l) => l.text)
        .join('\n'),
    ).toMatch(/Typha starting up/);
  });

  it('holds pods Pending as Unschedulable without Ready nodes', async () => {
    const vpc = eastVpc;
    const c = makeCluster(env, 'empty', vpc, clusters);
    c.store.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'lonely', namespace: 'default' },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    const pod = await waitFor('Unschedulable', () => {
      const p = c.store.get('', 'Pod', 'default', 'lonely');
      const cond = (
        p?.status as { conditions?: Array<{ type: string; reason?: string; message?: string }> }
      )?.conditions?.find((x) => x.type === 'PodScheduled');
      return cond?.reason === 'Unschedulable' && cond;
    });
    expect(pod.message).toMatch(/no nodes available|0\/0 nodes/);
    c.store.delete('apps', 'DaemonSet', 'kube-system', 'aws-node');
    c.controllers.setNodeGroup({ name: 'ng', desiredSize: 2, instanceType: 'm5.large', subnetIds: vpc.subnetIds });
    await waitFor('0/2 message', () => {
      const p = c.store.get('', 'Pod', 'default', 'lonely');
      const cond = (p?.status as { conditions?: Array<{ type: string; message?: string }> })?.conditions?.find(
        (x) => x.type === 'PodScheduled',
      );
      return /^0\/2 nodes are available: 2 node\(s\) had untolerated taint \{node.kubernetes.io\/not-ready: \}/.test(
        cond?.message ?? '',
      );
    });
  });
});

describe('workloads', () => {
  it('runs a StatefulSet in ordinal order, scales down from the top and publishes hostnames in Endpoints', async () => {
    const vpc = eastVpc;
    const c = makeCluster(env, 'sts', vpc, clusters);
    c.controllers.setNodeGroup({ name: 'ng', desiredSize: 2, instanceType: 'm5.xlarge', subnetIds: vpc.subnetIds });
    c.store.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
    });
    c.store.create(statefulSet('web', 3));
    // Creation order: web-1 never exists before web-0 is Ready.
    const seen: string[] = [];
    const unsub = c.store.subscribe((e) => {
      if (e.type === 'ADDED' && e.object.kind === 'Pod' && e.object.metadata.namespace === 'default') {
        seen.push(e.object.metadata.name);
        if (e.object.metadata.name === 'web-1')
          expect(readyCondition(c.store.get('', 'Pod', 'default', 'web-0'))?.status).toBe('True');
      }
    });
    await waitFor(
      '3 ready',
      () =>
        (c.store.get('apps', 'StatefulSet', 'default', 'web')?.status as { readyReplicas?: number })?.readyReplicas ===
        3,
    );
    unsub();
    expect(seen).toEqual(['web-0', 'web-1', 'web-2']);
    const status = c.store.get('apps', 'StatefulSet', 'default', 'web')!.status as Record<string, number>;
    expect(status).toMatchObject({
      replicas: 3,
      readyReplicas: 3,
      currentReplicas: 3,
      updatedReplicas: 3,
      availableReplicas: 3,
      observedGeneration: 1,
    });
    const ep = await waitFor('endpoints', () => {
      const e = c.store.get('', 'Endpoints', 'default', 'web');
      const subsets = e?.subsets as
        | Array<{ addresses?: Array<{ hostname?: string; targetRef?: { name: string } }> }>
        | undefined;
      return subsets?.[0]?.addresses?.length === 3 && subsets[0];
    });
    expect(ep.addresses!.map((a) => a.hostname).sort()).toEqual(['web-0', 'web-1', 'web-2']);
    expect(ep.addresses!.map((a) => a.targetRef?.name).sort()).toEqual(['web-0', 'web-1', 'web-2']);
    expect((ep as { ports: unknown }).ports).toEqual([{ name: 'http', port: 80, protocol: 'TCP' }]);

    c.store.mutate('apps', 'StatefulSet', 'default', 'web', (o) => {
      (o.spec as { replicas: number }).replicas = 1;
    });
    await waitFor(
      'scaled to 1',
      () =>
        podsOf(c, 'default')
          .map((p) => p.metadata.name)
          .join() === 'web-0',
    );
    await waitFor('endpoints shrink', () => {
      const subsets = c.store.get('', 'Endpoints', 'default', 'web')?.subsets as Array<{ addresses?: unknown[] }>;
      return subsets?.[0]?.addresses?.length === 1;
    });
  });

  it('runs Deployments through ReplicaSets and DaemonSets on every node; pods on removed nodes come back elsewhere', async () => {
    const vpc = eastVpc;
    const c = makeCluster(env, 'dep', vpc, clusters);
    c.controllers.setNodeGroup({ name: 'ng', desiredSize: 3, instanceType: 'm5.xlarge', subnetIds: vpc.subnetIds });
    c.store.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api', namespace: 'default' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'api' } },
        template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'api', image: 'nginx' }] } },
      },
    });
    await waitFor(
      'deployment available',
      () =>
        (c.store.get('apps', 'Deployment', 'default', 'api')?.status as { availableReplicas?: number })
          ?.availableReplicas === 2,
    );
    const rs = c.store.list('apps', 'ReplicaSet', 'default');
    expect(rs).toHaveLength(1);
    expect(podsOf(c, 'default').every((p) => p.metadata.ownerReferences?.[0]?.name === rs[0].metadata.name)).toBe(true);
    await waitFor(
      'aws-node on every node',
      () =>
        (c.store.get('apps', 'DaemonSet', 'kube-system', 'aws-node')?.status as { numberReady?: number })
          ?.numberReady === 3,
    );
    c.controllers.setNodeGroup({ name: 'ng', desiredSize: 1, instanceType: 'm5.xlarge', subnetIds: vpc.subnetIds });
    await waitFor('both api pods on the one node', () => {
      const node = nodesOf(c)[0]?.metadata.name;
      const pods = podsOf(c, 'default');
      return (
        nodesOf(c).length === 1 &&
        pods.length === 2 &&
        pods.every((p) => (p.spec as { nodeName?: string }).nodeName === node && readyCondition(p)?.status === 'True')
      );
    });
    // The default ServiceAccount exists in every namespace.
    expect(c.store.get('', 'ServiceAccount', 'default', 'default')).toBeDefined();
  });

  it('fills service-account token Secrets', async () => {
    const vpc = eastVpc;
    const c = makeCluster(env, 'tok', vpc, clusters);
    c.store.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'fed', namespace: 'kube-system' } });
    c.store.create({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/service-account-token',
      metadata: {
        name: 'fed-token',
        namespace: 'kube-system',
        annotations: { 'kubernetes.io/service-account.name': 'fed' },
      },
    });
    const secret = await waitFor('token', () => {
      const s = c.store.get('', 'Secret', 'kube-system', 'fed-token');
      return (s?.data as Record<string, string> | undefined)?.token ? s : undefined;
    });
    const data = secret.data as Record<string, string>;
    expect(Buffer.from(data.token, 'base64').toString()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(Buffer.from(data.namespace, 'base64').toString()).toBe('kube-system');
    expect(Buffer.from(data['ca.crt'], 'base64').toString()).toBe(c.handle.caPem);
  });

  it('deletes a token Secret made before its ServiceAccount, as the token controller does', async () => {
    const c = makeCluster(env, 'tok2', eastVpc, clusters);
    c.store.create({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/service-account-token',
      metadata: {
        name: 'early-token',
        namespace: 'kube-system',
        annotations: { 'kubernetes.io/service-account.name': 'early' },
      },
    });
    await waitFor('token deleted', () => (c.store.get('', 'Secret', 'kube-system', 'early-token') ? undefined : true));
  });
});

describe('tigera-operator validation', () => {
  it.each([
    [{ cidr: '10.0.0.0/24' }, /overlaps with the VPC CIDR 10\.0\.0\.0\/16/],
    [{ cidr: '192.168.1.0/24', provider: 'GKE' }, /kubernetesProvider 'GKE' does not match auto-detected value 'EKS'/],
    [{ cidr: '192.168.1.0/24', encapsulation: 'IPIP' }, /requires BGP/],
    // tigera/operator pkg/controller/installation/validation.go: unencapsulated pools need BGP to program routes.
    [{ cidr: '192.168.1.0/24', encapsulation: 'None' }, /Unencapsulated IP pools require that BGP is enabled/],
    [{ cidr: '192.168.1.0/24', enterprise: true }, /Enterprise resources are not installed/],
  ])('degrades TigeraStatus calico for %o', async (opts, message) => {
    const vpc = eastVpc;
    const c = makeCluster(env, `bad-${clusters.length}`, vpc, clusters);
    applyManifestFile(c.store, 'sandbox/calico/v3.31.7/tigera-operator.yaml');
    c.controllers.setNodeGroup({ name: 'ng', desiredSize: 1, instanceType: 'm5.xlarge', subnetIds: vpc.subnetIds });
    c.store.create(installation(opts));
    const degraded = await waitFor('Degraded', () => {
      const d = tigeraCondition(c.store, 'calico', 'Degraded');
      return d?.status === 'True' && d;
    });
    expect(degraded.message).toMatch(message);
    expect(tigeraCondition(c.store, 'calico', 'Available')?.status).toBe('False');
    expect(c.store.get('apps', 'DaemonSet', 'calico-system', 'calico-node')).toBeUndefined();
  });
});

describe('Calico Enterprise images', () => {
  it('stay unpulled without a pull secret: TigeraStatus calico is Degraded with ImagePullBackOff', async () => {
    const vpc = eastVpc;
    const c = makeCluster(env, `pull-${clusters.length}`, vpc, clusters);
    applyManifestFile(c.store, 'sandbox/calico/enterprise/v3.23.1/manifests/tigera-operator.yaml');
    applyManifestFile(
      c.store,
      'sandbox/calico/enterprise/v3.23.1/manifests/operator-crds.yaml',
      (o) => o.metadata.name === 'licensekeys.crd.projectcalico.org',
    );
    c.controllers.setNodeGroup({ name: 'ng', desiredSize: 1, instanceType: 'm5.xlarge', subnetIds: vpc.subnetIds });
    const inst = installation({ cidr: '192.168.4.0/24', enterprise: true });
    delete (inst.spec as { imagePullSecrets?: unknown }).imagePullSecrets;
    c.store.create(inst);
    const degraded = await waitFor('Degraded', () => {
      const d = tigeraCondition(c.store, 'calico', 'Degraded');
      return d?.status === 'True' && d;
    });
    expect(degraded.message).toMatch(
      /ImagePullBackOff: pulling quay\.io\/tigera\/cnx-node: unauthorized.*lists no imagePullSecrets/,
    );
    expect(c.store.get('apps', 'DaemonSet', 'calico-system', 'calico-node')).toBeUndefined();
    c.store.create(pullSecret());
    c.store.mutate('operator.tigera.io', 'Installation', undefined, 'default', (o) => {
      (o.spec as { imagePullSecrets?: unknown }).imagePullSecrets = [{ name: 'tigera-pull-secret' }];
    });
    await waitFor('calico-node rendered', () => c.store.get('apps', 'DaemonSet', 'calico-system', 'calico-node'));
  });
});

describe('Calico API server', () => {
  async function calicoCluster(enterprise: boolean, license: boolean) {
    const vpc = westVpc;
    const c = makeCluster(env, `api-${clusters.length}`, vpc, clusters);
    applyManifestFile(
      c.store,
      enterprise
        ? 'sandbox/calico/enterprise/v3.23.1/manifests/tigera-operator.yaml'
        : 'sandbox/calico/v3.31.7/tigera-operator.yaml',
    );
    if (enterprise) {
      applyManifestFile(
        c.store,
        'sandbox/calico/enterprise/v3.23.1/manifests/operator-crds.yaml',
        (o) => o.metadata.name === 'licensekeys.crd.projectcalico.org',
      );
    }
    if (license)
      c.store.create({
        apiVersion: 'crd.projectcalico.org/v1',
        kind: 'LicenseKey',
        metadata: { name: 'default' },
        spec: { token: 'x.y.z', certificate: 'c' },
      });
    if (enterprise) c.store.create(pullSecret());
    c.store.create(installation({ cidr: '192.168.3.0/24', enterprise }));
    c.store.create({ apiVersion: 'operator.tigera.io/v1', kind: 'APIServer', metadata: { name: 'default' }, spec: {} });
    c.controllers.setNodeGroup({ name: 'ng', desiredSize: 1, instanceType: 'm5.xlarge', subnetIds: vpc.subnetIds });
    await waitFor(
      'apiserver Available',
      () => tigeraCondition(c.store, 'apiserver', 'Available')?.status === 'True',
      10_000,
    );
    return c;
  }

  it('serves projectcalico.org/v3 without RemoteClusterConfiguration in Calico Open Source, and mirrors the operator IP pool', async () => {
    const c = await calicoCluster(false, false);
    expect(c.handle.api.find('projectcalico.org', 'FelixConfiguration')).toBeDefined();
    expect(c.handle.api.find('projectcalico.org', 'IPPool')).toBeDefined();
    expect(c.handle.api.find('projectcalico.org', 'RemoteClusterConfiguration')).toBeUndefined();
    expect(c.store.get('apps', 'Deployment', 'calico-apiserver', 'calico-apiserver')).toBeDefined();
    await waitFor('v3 view of the pool', () =>
      c.store.get('projectcalico.org', 'IPPool', undefined, 'default-ipv4-ippool'),
    );
    const validate = (
      c.handle.api.find('projectcalico.org', 'FelixConfiguration') as unknown as {
        validate: (o: unknown) => string | undefined;
      }
    ).validate;
    expect(validate({ spec: { flowLogsFileEnabled: true } })).toMatch(/unknown field "spec.flowLogsFileEnabled"/);
    expect(validate({ spec: { flowLogsFlushInterval: '15s' } })).toBeUndefined();
  });

  it('reports a missing Enterprise license in TigeraStatus and serves RemoteClusterConfiguration once licensed', async () => {
    const c = await calicoCluster(true, false);
    const degraded = await waitFor('license Degraded', () => {
      const d = tigeraCondition(c.store, 'calico', 'Degraded');
      return d?.status === 'True' && d;
    });
    expect(degraded.message).toMatch(/License not found/);
    expect(c.handle.api.find('projectcalico.org', 'LicenseKey')).toBeDefined();
    expect(c.handle.api.find('projectcalico.org', 'RemoteClusterConfiguration')).toBeUndefined();
    c.store.create({
      apiVersion: 'projectcalico.org/v3',
      kind: 'LicenseKey',
      metadata: { name: 'default' },
      spec: { token: 'x.y.z', certificate: 'c' },
    });
    await waitFor('calico Available', () => tigeraCondition(c.store, 'calico', 'Available')?.status === 'True');
    await waitFor('RemoteClusterConfiguration served', () =>
      c.handle.api.find('projectcalico.org', 'RemoteClusterConfiguration'),
    );
    const typha = c.store.get('apps', 'Deployment', 'calico-system', 'calico-typha')!;
    expect(JSON.stringify(typha.spec)).toContain('quay.io/tigera/typha:v3.23.1');
  });
});

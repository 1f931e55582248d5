// What the tigera-operator renders from a valid Installation: calico-system and its components, the Calico
// IP pools and the default FelixConfiguration; calico-apiserver from an APIServer. Plain data, no decisions.
import type { KubeObject } from '../store.ts';
import { ownerRef } from './util.ts';

export interface CalicoImages {
  registry: string;
  node: string;
  typha: string;
  kubeControllers: string;
  apiserver: string;
  version: string;
}

/** Images by product: Calico Enterprise comes from Tigera's registry under its own names. */
export function calicoImages(enterprise: boolean, version: string): CalicoImages {
  return enterprise
    ? {
        registry: 'quay.io/tigera',
        node: 'cnx-node',
        typha: 'typha',
        kubeControllers: 'kube-controllers',
        apiserver: 'cnx-apiserver',
        version,
      }
    : {
        registry: 'quay.io/calico',
        node: 'node',
        typha: 'typha',
        kubeControllers: 'kube-controllers',
        apiserver: 'apiserver',
        version,
      };
}

const tolerateAll = [
  { key: 'CriticalAddonsOnly', operator: 'Exists' },
  { effect: 'NoSchedule', operator: 'Exists' },
  { effect: 'NoExecute', operator: 'Exists' },
];

export interface PoolSpec {
  name?: string;
  cidr: string;
  encapsulation?: string;
  natOutgoing?: string;
  blockSize?: number;
  nodeSelector?: string;
}

function ns(name: string, owner: KubeObject): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: {
        name,
        'kubernetes.io/metadata.name': name,
        'pod-security.kubernetes.io/enforce': 'privileged',
        'pod-security.kubernetes.io/enforce-version': 'latest',
      },
      ownerReferences: [ownerRef(owner)],
    },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

function sa(name: string, namespace: string, owner: KubeObject): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name, namespace, ownerReferences: [ownerRef(owner)] },
  };
}

function workload(
  kind: 'Deployment' | 'DaemonSet',
  name: string,
  namespace: string,
  owner: KubeObject,
  image: string,
  opts: {
    replicas?: number;
    hostNetwork?: boolean;
    tolerations?: unknown[];
    serviceAccount?: string;
    ports?: unknown[];
  },
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind,
    metadata: { name, namespace, labels: { 'k8s-app': name }, ownerReferences: [ownerRef(owner)] },
    spec: {
      ...(kind === 'Deployment' ? { replicas: opts.replicas ?? 1 } : {}),
      selector: { matchLabels: { 'k8s-app': name } },
      template: {
        metadata: { labels: { 'k8s-app': name, 'app.kubernetes.io/name': name } },
        spec: {
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          serviceAccountName: opts.serviceAccount ?? name,
          ...(opts.hostNetwork ? { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' } : {}),
          tolerations: opts.tolerations ?? tolerateAll,
          priorityClassName: kind === 'DaemonSet' ? 'system-node-critical' : 'system-cluster-critical',
          containers: [{ name, image, imagePullPolicy: 'IfNotPresent', ...(opts.ports ? { ports: opts.ports } : {}) }],
        },
      },
    },
  };
}

export function renderCalicoSystem(inst: KubeObject, images: CalicoImages, typhaReplicas: number): KubeObject[] {
  const img = (name: string) => `${images.registry}/${name}:${images.version}`;
  return [
    ns('calico-system', inst),
    sa('calico-node', 'calico-system', inst),
    sa('calico-cni-plugin', 'calico-system', inst),
    sa('calico-typha', 'calico-system', inst),
    sa('calico-kube-controllers', 'calico-system', inst),
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'calico-typha', ownerReferences: [ownerRef(inst)] },
      // What Typha syncs; no secrets: remote cluster secrets need their own Role (as in Calico's docs).
      rules: [
        {
          apiGroups: [''],
          resources: ['pods', 'namespaces', 'serviceaccounts', 'endpoints', 'services', 'nodes'],
          verbs: ['get', 'list', 'watch'],
        },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
        { apiGroups: ['crd.projectcalico.org'], resources: ['*'], verbs: ['get', 'list', 'watch'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'calico-typha', ownerReferences: [ownerRef(inst)] },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'calico-typha' },
      subjects: [{ kind: 'ServiceAccount', name: 'calico-typha', namespace: 'calico-system' }],
    },
    workload('DaemonSet', 'calico-node', 'calico-system', inst, img(images.node), { hostNetwork: true }),
    workload('Deployment', 'calico-typha', 'calico-system', inst, img(images.typha), {
      replicas: typhaReplicas,
      hostNetwork: true,
      ports: [{ name: 'calico-typha', containerPort: 5473, protocol: 'TCP' }],
    }),
    workload('Deployment', 'calico-kube-controllers', 'calico-system', inst, img(images.kubeControllers), {
      tolerations: [
        { key: 'CriticalAddonsOnly', operator: 'Exists' },
        { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
      ],
    }),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'calico-typha',
        namespace: 'calico-system',
        labels: { 'k8s-app': 'calico-typha' },
        ownerReferences: [ownerRef(inst)],
      },
      spec: {
        selector: { 'k8s-app': 'calico-typha' },
        ports: [{ name: 'calico-typha', port: 5473, targetPort: 'calico-typha', protocol: 'TCP' }],
      },
    },
  ];
}

export function ipPoolName(pool: PoolSpec, index: number): string {
  return pool.name ?? (index === 0 ? 'default-ipv4-ippool' : `ipv4-ippool-${index}`);
}

export function renderIpPool(inst: KubeObject, pool: PoolSpec, index: number): KubeObject {
  const enc = pool.encapsulation ?? 'IPIP';
  const vxlanMode = enc === 'VXLAN' ? 'Always' : enc === 'VXLANCrossSubnet' ? 'CrossSubnet' : 'Never';
  const ipipMode = enc === 'IPIP' ? 'Always' : enc === 'IPIPCrossSubnet' ? 'CrossSubnet' : 'Never';
  return {
    apiVersion: 'crd.projectcalico.org/v1',
    kind: 'IPPool',
    metadata: {
      name: ipPoolName(pool, index),
      labels: { 'app.kubernetes.io/managed-by': 'tigera-operator' },
      ownerReferences: [ownerRef(inst, false)],
    },
    spec: {
      cidr: pool.cidr,
      vxlanMode,
      ipipMode,
      natOutgoing: (pool.natOutgoing ?? 'Enabled') === 'Enabled',
      blockSize: pool.blockSize ?? 26,
      nodeSelector: pool.nodeSelector ?? 'all()',
      allowedUses: ['Workload', 'Tunnel'],
    },
  };
}

export function renderFelixConfiguration(): KubeObject {
  return {
    apiVersion: 'crd.projectcalico.org/v1',
    kind: 'FelixConfiguration',
    metadata: { name: 'default' },
    spec: {
      bpfEnabled: false,
      floatingIPs: 'Disabled',
      logSeverityScreen: 'Info',
      reportingInterval: '0s',
      healthPort: 9099,
    },
  };
}

export function renderApiServer(apiserverCr: KubeObject, images: CalicoImages): KubeObject[] {
  const img = `${images.registry}/${images.apiserver}:${images.version}`;
  return [
    ns('calico-apiserver', apiserverCr),
    sa('calico-apiserver', 'calico-apiserver', apiserverCr),
    workload('Deployment', 'calico-apiserver', 'calico-apiserver', apiserverCr, img, {
      replicas: 1,
      tolerations: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
      ports: [{ name: 'apiserver', containerPort: 5443, protocol: 'TCP' }],
    }),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'calico-api', namespace: 'calico-apiserver', ownerReferences: [ownerRef(apiserverCr)] },
      spec: {
        selector: { 'k8s-app': 'calico-apiserver' },
        ports: [{ name: 'apiserver', port: 443, targetPort: 5443, protocol: 'TCP' }],
      },
    },
  ];
}

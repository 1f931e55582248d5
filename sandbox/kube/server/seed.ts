// What a fresh EKS cluster already holds before anyone applies anything.
import type { KubeObject, ObjectStore } from '../store.ts';

/** What every user may GET without a resource: discovery, health and version (kube-apiserver's system:discovery). */
export const DISCOVERY_URLS = [
  '/api',
  '/api/*',
  '/apis',
  '/apis/*',
  '/healthz',
  '/livez',
  '/openapi',
  '/openapi/*',
  '/readyz',
  '/version',
  '/version/',
] as const;

const RBAC = 'rbac.authorization.k8s.io/v1';

function ns(name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

function clusterRole(name: string, rules: unknown[], extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: RBAC,
    kind: 'ClusterRole',
    metadata: {
      name,
      labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' },
      annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
    },
    rules,
    ...extra,
  };
}

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const CORE_WORKLOAD = [
  'pods',
  'pods/log',
  'pods/status',
  'services',
  'endpoints',
  'configmaps',
  'persistentvolumeclaims',
  'serviceaccounts',
  'events',
];
const APPS = [
  'deployments',
  'deployments/scale',
  'daemonsets',
  'statefulsets',
  'statefulsets/scale',
  'replicasets',
  'replicasets/scale',
];

function daemonSet(name: string, image: string, labels: Record<string, string>): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'kube-system', labels },
    spec: {
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name, image }], hostNetwork: true, priorityClassName: 'system-node-critical' },
      },
      updateStrategy: { type: 'RollingUpdate' },
    },
    status: { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 },
  };
}

export function seedCluster(store: ObjectStore): void {
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) store.create(ns(name));
  store.create({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: {
      type: 'ClusterIP',
      clusterIP: '10.100.0.1',
      clusterIPs: ['10.100.0.1'],
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 443 }],
      sessionAffinity: 'None',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
    },
    status: { loadBalancer: {} },
  });
  for (const namespace of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    store.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace } });
  }
  store.create(
    daemonSet('aws-node', '602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:v1.20.4-eksbuild.1', {
      'k8s-app': 'aws-node',
    }),
  );
  store.create(
    daemonSet('kube-proxy', '602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/kube-proxy:v1.34.0-eksbuild.2', {
      'k8s-app': 'kube-proxy',
    }),
  );
  store.create({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'coredns',
      namespace: 'kube-system',
      labels: { 'k8s-app': 'kube-dns', 'eks.amazonaws.com/component': 'coredns' },
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { 'k8s-app': 'kube-dns', 'eks.amazonaws.com/component': 'coredns' } },
      template: {
        metadata: { labels: { 'k8s-app': 'kube-dns', 'eks.amazonaws.com/component': 'coredns' } },
        spec: {
          containers: [
            {
              name: 'coredns',
              image: '602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/coredns:v1.12.3-eksbuild.1',
              ports: [{ name: 'dns', containerPort: 53, protocol: 'UDP' }],
            },
          ],
        },
      },
    },
    status: { replicas: 0, readyReplicas: 0, availableReplicas: 0 },
  });
  store.create({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kube-dns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } },
    spec: {
      type: 'ClusterIP',
      clusterIP: '10.100.0.10',
      clusterIPs: ['10.100.0.10'],
      selector: { 'k8s-app': 'kube-dns' },
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
      ],
    },
  });

  store.create(
    clusterRole('cluster-admin', [
      { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
      { nonResourceURLs: ['*'], verbs: ['*'] },
    ]),
  );
  store.create(
    clusterRole('admin', [
      {
        apiGroups: [''],
        resources: [...CORE_WORKLOAD, 'secrets', 'pods/exec', 'pods/attach', 'pods/portforward'],
        verbs: [...READ, ...WRITE],
      },
      { apiGroups: ['apps'], resources: APPS, verbs: [...READ, ...WRITE] },
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: [...READ, ...WRITE] },
      { apiGroups: [''], resources: ['namespaces'], verbs: READ },
      { apiGroups: ['authorization.k8s.io'], resources: ['localsubjectaccessreviews'], verbs: ['create'] },
    ]),
  );
  store.create(
    clusterRole('edit', [
      {
        apiGroups: [''],
        resources: [...CORE_WORKLOAD, 'secrets', 'pods/exec', 'pods/attach', 'pods/portforward'],
        verbs: [...READ, ...WRITE],
      },
      { apiGroups: ['apps'], resources: APPS, verbs: [...READ, ...WRITE] },
      { apiGroups: [''], resources: ['namespaces'], verbs: READ },
    ]),
  );
  store.create(
    clusterRole('view', [
      { apiGroups: [''], resources: [...CORE_WORKLOAD, 'namespaces'], verbs: READ },
      { apiGroups: ['apps'], resources: APPS, verbs: READ },
    ]),
  );
  store.create({
    apiVersion: RBAC,
    kind: 'ClusterRoleBinding',
    metadata: {
      name: 'cluster-admin',
      labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' },
      annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
    },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:masters' }],
  });
  store.create(
    clusterRole('system:discovery', [
      {
        nonResourceURLs: [...DISCOVERY_URLS],
        verbs: ['get'],
      },
    ]),
  );
  store.create(
    clusterRole('system:basic-user', [
      {
        apiGroups: ['authorization.k8s.io'],
        resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
        verbs: ['create'],
      },
      { apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'], verbs: ['create'] },
    ]),
  );
  for (const name of ['system:discovery', 'system:basic-user']) {
    store.create({
      apiVersion: RBAC,
      kind: 'ClusterRoleBinding',
      metadata: { name, labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:authenticated' }],
    });
  }
}

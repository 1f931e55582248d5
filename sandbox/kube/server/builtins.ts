// The resources a fresh EKS API server serves (the subset the product, kubectl and Calico's manifests use).
import type { Registry, ServedResource } from './registry.ts';

type Builtin = Omit<ServedResource, 'verbs' | 'source' | 'version' | 'group'> & { verbs?: string[] };

const CREATE_ONLY = ['create'];

const groups: Array<{ group: string; version: string; resources: Builtin[] }> = [
  {
    group: '',
    version: 'v1',
    resources: [
      {
        kind: 'Namespace',
        plural: 'namespaces',
        namespaced: false,
        shortNames: ['ns'],
        subresources: ['status', 'finalize'],
        verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      },
      { kind: 'Pod', plural: 'pods', namespaced: true, shortNames: ['po'], subresources: ['status', 'log', 'exec'] },
      { kind: 'Service', plural: 'services', namespaced: true, shortNames: ['svc'], subresources: ['status'] },
      { kind: 'Endpoints', plural: 'endpoints', namespaced: true, shortNames: ['ep'] },
      { kind: 'Secret', plural: 'secrets', namespaced: true },
      { kind: 'ConfigMap', plural: 'configmaps', namespaced: true, shortNames: ['cm'] },
      {
        kind: 'ServiceAccount',
        plural: 'serviceaccounts',
        namespaced: true,
        shortNames: ['sa'],
        subresources: ['token'],
      },
      { kind: 'Node', plural: 'nodes', namespaced: false, shortNames: ['no'], subresources: ['status'] },
      { kind: 'Event', plural: 'events', namespaced: true, shortNames: ['ev'] },
    ],
  },
  {
    group: 'apps',
    version: 'v1',
    resources: [
      {
        kind: 'Deployment',
        plural: 'deployments',
        namespaced: true,
        shortNames: ['deploy'],
        subresources: ['status', 'scale'],
      },
      { kind: 'DaemonSet', plural: 'daemonsets', namespaced: true, shortNames: ['ds'], subresources: ['status'] },
      {
        kind: 'StatefulSet',
        plural: 'statefulsets',
        namespaced: true,
        shortNames: ['sts'],
        subresources: ['status', 'scale'],
      },
      {
        kind: 'ReplicaSet',
        plural: 'replicasets',
        namespaced: true,
        shortNames: ['rs'],
        subresources: ['status', 'scale'],
      },
    ],
  },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    resources: [
      { kind: 'Role', plural: 'roles', namespaced: true },
      { kind: 'RoleBinding', plural: 'rolebindings', namespaced: true },
      { kind: 'ClusterRole', plural: 'clusterroles', namespaced: false },
      { kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', namespaced: false },
    ],
  },
  {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    resources: [
      {
        kind: 'CustomResourceDefinition',
        plural: 'customresourcedefinitions',
        namespaced: false,
        shortNames: ['crd', 'crds'],
        subresources: ['status'],
      },
    ],
  },
  {
    group: 'authorization.k8s.io',
    version: 'v1',
    resources: [
      { kind: 'SelfSubjectAccessReview', plural: 'selfsubjectaccessreviews', namespaced: false, verbs: CREATE_ONLY },
      { kind: 'SelfSubjectRulesReview', plural: 'selfsubjectrulesreviews', namespaced: false, verbs: CREATE_ONLY },
      { kind: 'SubjectAccessReview', plural: 'subjectaccessreviews', namespaced: false, verbs: CREATE_ONLY },
      { kind: 'LocalSubjectAccessReview', plural: 'localsubjectaccessreviews', namespaced: true, verbs: CREATE_ONLY },
    ],
  },
  {
    group: 'authentication.k8s.io',
    version: 'v1',
    resources: [{ kind: 'SelfSubjectReview', plural: 'selfsubjectreviews', namespaced: false, verbs: CREATE_ONLY }],
  },
  {
    group: 'discovery.k8s.io',
    version: 'v1',
    resources: [{ kind: 'EndpointSlice', plural: 'endpointslices', namespaced: true }],
  },
  { group: 'coordination.k8s.io', version: 'v1', resources: [{ kind: 'Lease', plural: 'leases', namespaced: true }] },
  {
    group: 'policy',
    version: 'v1',
    resources: [
      {
        kind: 'PodDisruptionBudget',
        plural: 'poddisruptionbudgets',
        namespaced: true,
        shortNames: ['pdb'],
        subresources: ['status'],
      },
    ],
  },
  {
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    resources: [
      { kind: 'ValidatingWebhookConfiguration', plural: 'validatingwebhookconfigurations', namespaced: false },
      { kind: 'MutatingWebhookConfiguration', plural: 'mutatingwebhookconfigurations', namespaced: false },
    ],
  },
  {
    group: 'scheduling.k8s.io',
    version: 'v1',
    resources: [{ kind: 'PriorityClass', plural: 'priorityclasses', namespaced: false, shortNames: ['pc'] }],
  },
  {
    group: 'networking.k8s.io',
    version: 'v1',
    resources: [{ kind: 'NetworkPolicy', plural: 'networkpolicies', namespaced: true, shortNames: ['netpol'] }],
  },
  {
    group: 'batch',
    version: 'v1',
    resources: [{ kind: 'Job', plural: 'jobs', namespaced: true, subresources: ['status'] }],
  },
];

/** Kinds whose objects are not stored: the request is answered and forgotten, as on a real server. */
export const VIRTUAL_KINDS = new Set([
  'SelfSubjectAccessReview',
  'SelfSubjectRulesReview',
  'SubjectAccessReview',
  'LocalSubjectAccessReview',
  'SelfSubjectReview',
]);

export function registerBuiltins(registry: Registry): void {
  for (const g of groups) {
    for (const r of g.resources) {
      registry.register({ ...r, group: g.group, version: g.version, verbs: r.verbs ?? undefined, source: 'builtin' });
    }
  }
}

// What the API server does to an object before storing it: validation of names and annotation size, and the
// defaults clients rely on (Service cluster IPs, Namespace phase, Secret stringData, CRD acceptance).
import type { KubeObject } from '../store.ts';
import { invalid } from './status.ts';
import { validateWorkload } from './workload-validation.ts';

const TOTAL_ANNOTATION_SIZE_LIMIT = 262144;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Names are checked as RFC 1123 subdomains, except kinds whose names allow colons and more (RBAC). */
const FREE_NAME_KINDS = new Set(['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);

export function validateMeta(obj: KubeObject, group: string): void {
  const name = obj.metadata.name;
  if (!name) {
    throw invalid(group, obj.kind, '', [
      {
        field: 'metadata.name',
        message: 'Required value: name or generateName is required',
        reason: 'FieldValueRequired',
      },
    ]);
  }
  if (!FREE_NAME_KINDS.has(obj.kind) && (name.length > 253 || !DNS_SUBDOMAIN.test(name))) {
    throw invalid(group, obj.kind, name, [
      {
        field: 'metadata.name',
        message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      },
    ]);
  }
  const annotations = obj.metadata.annotations ?? {};
  let size = 0;
  for (const [k, v] of Object.entries(annotations)) size += k.length + String(v).length;
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) {
    throw invalid(group, obj.kind, name, [
      {
        field: 'metadata.annotations',
        message: `Too long: must have at most ${TOTAL_ANNOTATION_SIZE_LIMIT} bytes`,
        reason: 'FieldValueTooLong',
      },
    ]);
  }
  validateWorkload(obj, group);
}

export function randomSuffix(length = 5): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(Math.random() * alphabet.length)];
  return out;
}

/** Hands out Service cluster IPs from the EKS default range 10.100.0.0/16 (10.100.0.1 is the kubernetes Service). */
export class ClusterIpAllocator {
  private next = 2;
  private readonly used = new Set<string>(['10.100.0.1']);
  allocate(): string {
    for (;;) {
      const n = this.next++;
      const ip = `10.100.${Math.floor(n / 256) % 256}.${n % 256}`;
      if (n % 256 === 0 || n % 256 === 255 || this.used.has(ip)) continue;
      this.used.add(ip);
      return ip;
    }
  }
}

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : {});

/** Defaults applied on create. */
export function defaultOnCreate(obj: KubeObject, ips: ClusterIpAllocator): void {
  switch (`${obj.apiVersion.includes('/') ? obj.apiVersion.split('/')[0] : ''}/${obj.kind}`) {
    case '/Namespace':
      obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name };
      obj['spec'] = { finalizers: ['kubernetes'], ...rec(obj['spec']) };
      obj['status'] = { phase: 'Active' };
      break;
    case '/Service': {
      const spec: Rec = (obj['spec'] = { type: 'ClusterIP', sessionAffinity: 'None', ...rec(obj['spec']) });
      if (spec['type'] !== 'ExternalName' && !spec['clusterIP']) spec['clusterIP'] = ips.allocate();
      if (spec['clusterIP'] && !spec['clusterIPs']) spec['clusterIPs'] = [spec['clusterIP']];
      spec['ipFamilies'] ??= ['IPv4'];
      spec['ipFamilyPolicy'] ??= 'SingleStack';
      if (Array.isArray(spec['ports'])) {
        spec['ports'] = (spec['ports'] as Rec[]).map((p) => ({ protocol: 'TCP', targetPort: p['port'], ...p }));
      }
      obj['status'] ??= { loadBalancer: {} };
      break;
    }
    case '/Pod': {
      const spec: Rec = (obj['spec'] = {
        restartPolicy: 'Always',
        dnsPolicy: 'ClusterFirst',
        serviceAccountName: 'default',
        terminationGracePeriodSeconds: 30,
        ...rec(obj['spec']),
      });
      spec['serviceAccount'] ??= spec['serviceAccountName'];
      obj['status'] = { phase: 'Pending', qosClass: 'BestEffort', ...rec(obj['status']) };
      break;
    }
    case '/Secret': {
      obj['type'] ??= 'Opaque';
      const stringData = obj['stringData'];
      if (stringData && typeof stringData === 'object') {
        const data = rec(obj['data']);
        for (const [k, v] of Object.entries(stringData as Rec)) data[k] = Buffer.from(String(v)).toString('base64');
        obj['data'] = data;
        delete obj['stringData'];
      }
      break;
    }
    case 'apps/Deployment':
    case 'apps/StatefulSet':
    case 'apps/ReplicaSet': {
      const spec: Rec = (obj['spec'] = { replicas: 1, ...rec(obj['spec']) });
      if (obj.kind === 'StatefulSet') spec['podManagementPolicy'] ??= 'OrderedReady';
      break;
    }
    case 'apiextensions.k8s.io/CustomResourceDefinition':
      obj['status'] = crdStatus(obj);
      break;
  }
}

/** Secrets keep stringData out of storage on every write, not only on create. */
export function foldStringData(obj: KubeObject): void {
  if (obj.kind !== 'Secret' || obj.apiVersion !== 'v1') return;
  const stringData = obj['stringData'];
  if (!stringData || typeof stringData !== 'object') return;
  const data = rec(obj['data']);
  for (const [k, v] of Object.entries(stringData as Rec)) data[k] = Buffer.from(String(v)).toString('base64');
  obj['data'] = data;
  delete obj['stringData'];
}

export function crdStatus(crd: KubeObject): Rec {
  const spec = rec(crd['spec']);
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const versions = Array.isArray(spec['versions']) ? (spec['versions'] as Rec[]) : [];
  return {
    acceptedNames: spec['names'] ?? {},
    conditions: [
      {
        type: 'NamesAccepted',
        status: 'True',
        reason: 'NoConflicts',
        message: 'no conflicts found',
        lastTransitionTime: now,
      },
      {
        type: 'Established',
        status: 'True',
        reason: 'InitialNamesAccepted',
        message: 'the initial names have been accepted',
        lastTransitionTime: now,
      },
    ],
    storedVersions: versions.filter((v) => v['storage']).map((v) => v['name']),
  };
}

export function validateCrd(crd: KubeObject): void {
  const spec = rec(crd['spec']);
  const names = rec(spec['names']);
  const expected = `${names['plural']}.${spec['group']}`;
  if (crd.metadata.name !== expected) {
    throw invalid('apiextensions.k8s.io', 'CustomResourceDefinition', crd.metadata.name, [
      {
        field: 'metadata.name',
        message: `Invalid value: "${crd.metadata.name}": must be spec.names.plural+"."+spec.group`,
      },
    ]);
  }
  if (!Array.isArray(spec['versions']) || spec['versions'].length === 0) {
    throw invalid('apiextensions.k8s.io', 'CustomResourceDefinition', crd.metadata.name, [
      {
        field: 'spec.versions',
        message: 'Invalid value: must have exactly one version marked as storage version',
        reason: 'FieldValueInvalid',
      },
    ]);
  }
}

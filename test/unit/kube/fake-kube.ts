// An in-memory KubeApi for the catalogue's unit tests: objects by apiVersion/kind/namespace/name, label
// selectors, server-side apply as a merge of the applied fields, discovery of the kinds it serves, and hooks for
// exec, pod logs and the pod proxy. A fake clock advances on sleep and runs `tick` so the "cluster" can progress.
import { pino } from 'pino';
import type { Clock } from '../../../src/clock.ts';
import type { MeshSpec } from '../../../src/config/spec-types.ts';
import type { Deps } from '../../../src/deps.ts';
import type { ApiResource, KubeApi, KubeObject } from '../../../src/kube/client.ts';
import type { ExecOptions, ExecOutput } from '../../../src/kube/exec.ts';
import type { LogQuery } from '../../../src/kube/logs.ts';
import { KubeApiError } from '../../../src/kube/rest.ts';
import type { StepContext } from '../../../src/steps/step.ts';

const CLUSTER_SCOPED = new Set([
  'Node',
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'RemoteClusterConfiguration',
  'FelixConfiguration',
  'Installation',
  'APIServer',
  'TigeraStatus',
  'CustomResourceDefinition',
  'LicenseKey',
  'LogCollector',
  'LogStorage',
]);

const BUILT_IN = [
  'v1/Pod',
  'v1/Service',
  'v1/Endpoints',
  'v1/Secret',
  'v1/ServiceAccount',
  'v1/Namespace',
  'v1/Node',
  'v1/ConfigMap',
  'apps/v1/StatefulSet',
  'apps/v1/DaemonSet',
  'rbac.authorization.k8s.io/v1/Role',
  'rbac.authorization.k8s.io/v1/RoleBinding',
  'rbac.authorization.k8s.io/v1/ClusterRole',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding',
  'discovery.k8s.io/v1/EndpointSlice',
  'operator.tigera.io/v1/Installation',
  'operator.tigera.io/v1/APIServer',
  'operator.tigera.io/v1/TigeraStatus',
];

function merge(base: unknown, patch: unknown): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return structuredClone(patch);
  const out: Record<string, unknown> =
    base && typeof base === 'object' && !Array.isArray(base) ? { ...(base as object) } : {};
  for (const [k, v] of Object.entries(patch)) out[k] = merge(out[k], v);
  return out;
}

function matches(labels: Record<string, string> | undefined, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    return labels?.[k] === v;
  });
}

export class FakeKube implements KubeApi {
  readonly objects = new Map<string, KubeObject>();
  readonly served = new Set(BUILT_IN);
  /** Every call that changed something, in order: "apply StatefulSet default/x", "delete Secret ...". */
  readonly writes: string[] = [];
  exec: (opts: ExecOptions) => Promise<ExecOutput> = async () => ({ stdout: '', stderr: 'no exec here', exitCode: 1 });
  logs = new Map<string, string[]>();
  proxy: (namespace: string, pod: string, port: number, path: string) => Promise<string> = async () => {
    throw new KubeApiError(503, 'ServiceUnavailable', 'no proxy here');
  };

  static key(apiVersion: string, kind: string, name: string, namespace?: string): string {
    return `${apiVersion}/${kind}/${CLUSTER_SCOPED.has(kind) ? '' : (namespace ?? 'default')}/${name}`;
  }

  serve(apiVersion: string, kind: string): this {
    this.served.add(`${apiVersion}/${kind}`);
    return this;
  }

  put(obj: KubeObject): KubeObject {
    const copy = structuredClone(obj);
    this.objects.set(FakeKube.key(obj.apiVersion, obj.kind, obj.metadata.name, obj.metadata.namespace), copy);
    return copy;
  }

  async resourceFor(apiVersion: string, kind: string): Promise<ApiResource | undefined> {
    if (!this.served.has(`${apiVersion}/${kind}`)) return undefined;
    return { name: `${kind.toLowerCase()}s`, kind, namespaced: !CLUSTER_SCOPED.has(kind) };
  }

  async serves(apiVersion: string, plural: string): Promise<boolean> {
    return [...this.served].some(
      (s) => s.startsWith(`${apiVersion}/`) && `${s.split('/').at(-1)!.toLowerCase()}s` === plural,
    );
  }

  async get<T = KubeObject>(
    apiVersion: string,
    kind: string,
    name: string,
    namespace?: string,
  ): Promise<T | undefined> {
    if (!this.served.has(`${apiVersion}/${kind}`))
      throw new KubeApiError(404, 'NoKind', `the cluster does not serve ${kind}`);
    const o = this.objects.get(FakeKube.key(apiVersion, kind, name, namespace));
    return o ? (structuredClone(o) as T) : undefined;
  }

  async list<T = KubeObject>(
    apiVersion: string,
    kind: string,
    opts: { namespace?: string; labelSelector?: string } = {},
  ): Promise<T[]> {
    if (!this.served.has(`${apiVersion}/${kind}`)) return [];
    return [...this.objects.values()]
      .filter((o) => o.apiVersion === apiVersion && o.kind === kind)
      .filter(
        (o) => !opts.namespace || CLUSTER_SCOPED.has(kind) || (o.metadata.namespace ?? 'default') === opts.namespace,
      )
      .filter((o) => matches(o.metadata.labels, opts.labelSelector))
      .map((o) => structuredClone(o) as T);
  }

  async apply<T = KubeObject>(obj: KubeObject): Promise<T> {
    if (!this.served.has(`${obj.apiVersion}/${obj.kind}`))
      throw new KubeApiError(404, 'NoKind', `the cluster does not serve ${obj.kind}`);
    const key = FakeKube.key(obj.apiVersion, obj.kind, obj.metadata.name, obj.metadata.namespace);
    const merged = merge(this.objects.get(key), obj) as KubeObject;
    this.objects.set(key, merged);
    this.writes.push(
      `apply ${obj.kind} ${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata.name}`,
    );
    return structuredClone(merged) as T;
  }

  async delete(apiVersion: string, kind: string, name: string, namespace?: string): Promise<boolean> {
    const deleted = this.objects.delete(FakeKube.key(apiVersion, kind, name, namespace));
    if (deleted) this.writes.push(`delete ${kind} ${namespace ? `${namespace}/` : ''}${name}`);
    return deleted;
  }

  async podLog(q: LogQuery): Promise<string[]> {
    const lines = this.logs.get(`${q.namespace}/${q.pod}`) ?? [];
    return q.tailLines ? lines.slice(-q.tailLines) : lines;
  }

  podProxyGet(namespace: string, pod: string, port: number, path: string): Promise<string> {
    return this.proxy(namespace, pod, port, path);
  }
}

/** A clock whose sleep moves time on at once and then lets the fake cluster progress. */
export function fakeClock(tick: () => void | Promise<void> = () => {}): Clock & { elapsed: () => number } {
  let t = 0;
  return {
    now: () => t,
    sleep: async (ms) => {
      t += ms;
      await tick();
    },
    elapsed: () => t,
  };
}

export function fakeCtx(clock: Clock, notes: string[] = []): StepContext {
  return {
    signal: new AbortController().signal,
    log: pino({ level: 'silent' }),
    clock,
    note: (m) => notes.push(m),
    checkpoint: async () => {},
  };
}

export function testSpec(variant: MeshSpec['calico']['variant'] = 'enterprise', namespace = 'default'): MeshSpec {
  const ng = { instanceType: 'm5.xlarge', desiredSize: 2, minSize: 0, maxSize: 8, diskSizeGiB: 100 };
  return {
    name: 'demo',
    kubernetesVersion: '1.34',
    calico: { version: 'v3.23.1', variant, encapsulation: 'VXLAN', manifestBaseUrl: 'http://127.0.0.1:9/manifests' },
    workloads: {
      namespace,
      replicas: 1,
      maxReplicas: 20,
      image: 'nginx:1.27',
      netshootImage: 'nicolaka/netshoot:v0.13',
    },
    clusters: [
      { name: 'iad', region: 'us-east-1', vpcCidr: '10.0.0.0/16', podCidr: '192.168.1.0/24', nodeGroup: ng },
      { name: 'pdx', region: 'us-west-2', vpcCidr: '10.1.0.0/16', podCidr: '192.168.2.0/24', nodeGroup: ng },
    ],
  };
}

/** Deps with no AWS and no real cluster: the catalogue's functions get their FakeKube passed in. */
export function testDeps(spec: MeshSpec = testSpec(), clock: Clock = fakeClock()): Deps {
  const noAws = () => {
    throw new Error('no AWS in unit tests');
  };
  return {
    spec,
    aws: { ec2: noAws, eks: noAws, elbv2: noAws, elb: noAws, iam: noAws, sts: noAws },
    kube: {
      forCluster: async () => {
        throw new Error('no cluster in unit tests: pass a FakeKube');
      },
    },
    calico: {},
    clock,
    log: pino({ level: 'silent' }),
    pollIntervalMs: 1000,
  };
}

export const MESH_LABELS = { 'meshops.io/mesh': 'demo', 'app.kubernetes.io/managed-by': 'meshops' };

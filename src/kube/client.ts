// A small typed-enough client over raw REST: discovery (so CRD kinds work the moment they are Established),
// get/list/apply/delete by apiVersion + kind, exec, logs and the pod proxy. Server-side apply with field manager
// `meshops`. KubeApi is what the mesh catalogue needs of a cluster; tests give it an in-memory one.
import type { KubeConfig } from '@kubernetes/client-node';
import { type ExecOptions, type ExecOutput, execInPod } from './exec.ts';
import { type LogQuery, readPodLog } from './logs.ts';
import { isNotFound, KubeApiError, kubeRequest } from './rest.ts';

export const FIELD_MANAGER = 'meshops';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

export interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

interface ObjectRef {
  apiVersion: string;
  kind: string;
  name?: string;
  namespace?: string;
}

/** What the mesh catalogue asks of one cluster's API. */
export interface KubeApi {
  resourceFor(apiVersion: string, kind: string): Promise<ApiResource | undefined>;
  serves(apiVersion: string, plural: string): Promise<boolean>;
  get<T = KubeObject>(apiVersion: string, kind: string, name: string, namespace?: string): Promise<T | undefined>;
  list<T = KubeObject>(
    apiVersion: string,
    kind: string,
    opts?: { namespace?: string; labelSelector?: string },
  ): Promise<T[]>;
  /** Server-side apply as `meshops`, forcing ownership of the fields in `obj`. */
  apply<T = KubeObject>(obj: KubeObject): Promise<T>;
  /** True when something was deleted, false when it was already gone. */
  delete(apiVersion: string, kind: string, name: string, namespace?: string): Promise<boolean>;
  exec(opts: ExecOptions): Promise<ExecOutput>;
  podLog(q: LogQuery): Promise<string[]>;
  /** GET through the API server's pod proxy: `/api/v1/namespaces/<ns>/pods/<pod>:<port>/proxy/<path>`, as text. */
  podProxyGet(namespace: string, pod: string, port: number, path: string): Promise<string>;
}

// Discovery per KubeConfig, kept across KubeClient instances (steps make a client per call).
const discoveryCache = new WeakMap<KubeConfig, Map<string, ApiResource[] | null>>();

export class KubeClient implements KubeApi {
  readonly kc: KubeConfig;
  private readonly discovery: Map<string, ApiResource[] | null>;

  constructor(kc: KubeConfig) {
    this.kc = kc;
    let cache = discoveryCache.get(kc);
    if (!cache) discoveryCache.set(kc, (cache = new Map()));
    this.discovery = cache;
  }

  /** The served resource for a kind, or undefined when the API does not serve it (yet). */
  async resourceFor(apiVersion: string, kind: string): Promise<ApiResource | undefined> {
    const cached = this.discovery.get(apiVersion);
    const hit = cached?.find((r) => r.kind === kind && !r.name.includes('/'));
    if (hit) return hit;
    // A miss may be a CRD established since we last looked: ask again.
    const fresh = await this.discover(apiVersion);
    return fresh?.find((r) => r.kind === kind && !r.name.includes('/'));
  }

  /** True when the group/version serves a resource with this plural name (e.g. remoteclusterconfigurations). */
  async serves(apiVersion: string, plural: string): Promise<boolean> {
    const list = await this.discover(apiVersion);
    return !!list?.some((r) => r.name === plural);
  }

  private async discover(apiVersion: string): Promise<ApiResource[] | null> {
    const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    try {
      const list = await kubeRequest<{ resources: ApiResource[] }>(this.kc, { method: 'GET', path });
      this.discovery.set(apiVersion, list.resources);
      return list.resources;
    } catch (err) {
      // 404: the group is not served; 503: an aggregated API (Calico's API server) not up yet.
      if (err instanceof KubeApiError && (err.code === 404 || err.code === 503)) {
        this.discovery.set(apiVersion, null);
        return null;
      }
      throw err;
    }
  }

  async path(ref: ObjectRef, withName = true): Promise<string> {
    const res = await this.resourceFor(ref.apiVersion, ref.kind);
    if (!res) throw new KubeApiError(404, 'NoKind', `the cluster does not serve ${ref.kind} (${ref.apiVersion})`);
    const base = ref.apiVersion.includes('/') ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`;
    const ns = res.namespaced ? `/namespaces/${encodeURIComponent(ref.namespace ?? 'default')}` : '';
    const name = withName && ref.name ? `/${encodeURIComponent(ref.name)}` : '';
    return `${base}${ns}/${res.name}${name}`;
  }

  async get<T = KubeObject>(
    apiVersion: string,
    kind: string,
    name: string,
    namespace?: string,
  ): Promise<T | undefined> {
    try {
      return await kubeRequest<T>(this.kc, {
        method: 'GET',
        path: await this.path({ apiVersion, kind, name, namespace }),
      });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async list<T = KubeObject>(
    apiVersion: string,
    kind: string,
    opts: { namespace?: string; labelSelector?: string } = {},
  ): Promise<T[]> {
    const res = await this.resourceFor(apiVersion, kind);
    if (!res) return [];
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const ns = res.namespaced && opts.namespace ? `/namespaces/${encodeURIComponent(opts.namespace)}` : '';
    const out = await kubeRequest<{ items?: T[] }>(this.kc, {
      method: 'GET',
      path: `${base}${ns}/${res.name}`,
      query: { labelSelector: opts.labelSelector },
    });
    // Lists omit apiVersion/kind on items; put them back so callers can delete or apply what they got.
    return (out.items ?? []).map((i) => ({ apiVersion, kind, ...(i as object) }) as T);
  }

  /** Server-side apply (create or update the fields we own), forcing ownership as `meshops`. */
  async apply<T = KubeObject>(obj: KubeObject): Promise<T> {
    return kubeRequest<T>(this.kc, {
      method: 'PATCH',
      path: await this.path({
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: obj.metadata.name,
        namespace: obj.metadata.namespace,
      }),
      // Strict: a field the object's schema lacks is refused, not silently dropped with a warning.
      query: { fieldManager: FIELD_MANAGER, force: true, fieldValidation: 'Strict' },
      body: obj,
      contentType: 'application/apply-patch+yaml',
    });
  }

  exec(opts: ExecOptions): Promise<ExecOutput> {
    return execInPod(this.kc, opts);
  }

  podLog(q: LogQuery): Promise<string[]> {
    return readPodLog(this.kc, q);
  }

  podProxyGet(namespace: string, pod: string, port: number, path: string): Promise<string> {
    const ns = encodeURIComponent(namespace);
    const target = `${encodeURIComponent(pod)}:${port}`;
    return kubeRequest<string>(this.kc, {
      method: 'GET',
      path: `/api/v1/namespaces/${ns}/pods/${target}/proxy/${path.replace(/^\//, '')}`,
      text: true,
    });
  }

  /** Deletes; true when something was deleted, false when it was already gone. */
  async delete(apiVersion: string, kind: string, name: string, namespace?: string): Promise<boolean> {
    try {
      await kubeRequest(this.kc, {
        method: 'DELETE',
        path: await this.path({ apiVersion, kind, name, namespace }),
        query: { propagationPolicy: 'Background' },
      });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }
}

/** Condition lookup on any object with status.conditions. */
export function conditionOf(
  obj: unknown,
  type: string,
): { status?: string; reason?: string; message?: string } | undefined {
  const conds = (
    obj as { status?: { conditions?: Array<{ type: string; status?: string; reason?: string; message?: string }> } }
  )?.status?.conditions;
  return conds?.find((c) => c.type === type);
}

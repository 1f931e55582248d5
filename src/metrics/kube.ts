// Counts Kubernetes API requests: src/kube/rest.ts hands every request (and its HTTP code) here.
import type { KubeConfig } from '@kubernetes/client-node';
import { kubeCalls, kubeDuration } from './registry.ts';

/** The resource a path names ("pods", "pods/log", "discovery"), never an object's name (label cardinality). */
export function kubeResourceOf(path: string): { resource: string; named: boolean } {
  const parts = path.split('?')[0].split('/').filter(Boolean);
  // /api/v1/... or /apis/<group>/<version>/...
  const rest = parts[0] === 'api' ? parts.slice(2) : parts[0] === 'apis' ? parts.slice(3) : undefined;
  if (!rest) return { resource: parts[0] ?? 'root', named: false };
  if (rest.length === 0) return { resource: 'discovery', named: false };
  const inNs = rest[0] === 'namespaces' && rest.length > 2 ? rest.slice(2) : rest;
  const [plural, name, sub] = inNs;
  return { resource: sub ? `${plural}/${sub}` : plural, named: name !== undefined };
}

const VERBS: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

export function observeKubeRequest(kc: KubeConfig, method: string, path: string, code: number, seconds: number): void {
  const { resource, named } = kubeResourceOf(path);
  const verb = VERBS[method] ?? (named || resource === 'discovery' ? 'get' : 'list');
  kubeCalls.inc({ cluster: kc.getCurrentCluster()?.name ?? 'unknown', verb, resource, code: String(code) });
  kubeDuration.observe({ verb }, seconds);
}

/** Times one request: `await timedKubeRequest(kc, method, path, promise)`, recording its code or 0. */
export async function timedKubeRequest<T extends { status: number }>(
  kc: KubeConfig,
  method: string,
  path: string,
  request: Promise<T>,
): Promise<T> {
  const started = performance.now();
  try {
    const out = await request;
    observeKubeRequest(kc, method, path, out.status, (performance.now() - started) / 1000);
    return out;
  } catch (err) {
    observeKubeRequest(kc, method, path, 0, (performance.now() - started) / 1000);
    throw err;
  }
}

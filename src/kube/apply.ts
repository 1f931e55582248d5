// Server-side apply of multi-document manifests, as `kubectl apply --server-side --force-conflicts` does it.
// Calico's CRDs are too large for client-side apply's last-applied annotation (projectcalico/calico#6491).
// CRDs go first and must be Established before objects of their kinds can be applied.
import { parseAllDocuments } from 'yaml';
import type { StepContext } from '../steps/step.ts';
import { waitFor } from '../steps/wait.ts';
import { conditionOf, type KubeApi, type KubeObject } from './client.ts';

export function parseManifests(text: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) throw new Error(`manifest is not valid YAML: ${doc.errors[0].message}`);
    const obj = doc.toJS() as KubeObject | null;
    if (!obj || typeof obj !== 'object') continue;
    if (obj.kind === 'List' && Array.isArray(obj.items)) out.push(...(obj.items as KubeObject[]));
    else if (obj.apiVersion && obj.kind) out.push(obj);
  }
  return out;
}

export async function fetchManifest(
  url: string,
  opts: { headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, {
      headers: opts.headers,
      signal: AbortSignal.any([AbortSignal.timeout(60_000), ...(opts.signal ? [opts.signal] : [])]),
    });
  } catch (err) {
    throw new Error(`could not fetch ${url}: ${(err as Error).message}`, { cause: err });
  }
  if (!res.ok) throw new Error(`could not fetch ${url}: HTTP ${res.status} ${res.statusText}`);
  return res.text();
}

const isCrd = (o: KubeObject) => o.kind === 'CustomResourceDefinition';
const isNamespace = (o: KubeObject) => o.kind === 'Namespace' && o.apiVersion === 'v1';

export interface ApplyResult {
  applied: number;
  crds: number;
}

/** Applies CRDs, waits until they are Established, then namespaces, then everything else in file order. */
export async function applyObjects(
  ctx: StepContext,
  client: KubeApi,
  objects: KubeObject[],
  opts: { pollIntervalMs: number; timeoutMs?: number },
): Promise<ApplyResult> {
  const crds = objects.filter(isCrd);
  for (const crd of crds) await client.apply(crd);
  if (crds.length) {
    await waitFor(ctx, {
      what: `${crds.length} CRDs Established`,
      intervalMs: opts.pollIntervalMs,
      timeoutMs: opts.timeoutMs ?? 120_000,
      poll: async () => {
        const pending: string[] = [];
        for (const crd of crds) {
          const live = await client.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', crd.metadata.name);
          if (conditionOf(live, 'Established')?.status !== 'True') pending.push(crd.metadata.name);
        }
        return {
          done: pending.length === 0,
          status: pending.length ? `not Established yet: ${pending.slice(0, 5).join(', ')}` : 'all Established',
        };
      },
    });
  }
  await ctx.checkpoint();
  const rest = objects.filter((o) => !isCrd(o));
  for (const o of [...rest.filter(isNamespace), ...rest.filter((o) => !isNamespace(o))]) await client.apply(o);
  return { applied: objects.length, crds: crds.length };
}

export async function applyManifestUrl(
  ctx: StepContext,
  client: KubeApi,
  url: string,
  opts: { pollIntervalMs: number; timeoutMs?: number; headers?: Record<string, string> },
): Promise<ApplyResult> {
  const text = await fetchManifest(url, { headers: opts.headers, signal: ctx.signal });
  return applyObjects(ctx, client, parseManifests(text), opts);
}

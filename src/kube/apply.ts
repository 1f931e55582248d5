// Server-side apply of multi-document manifests, as `kubectl apply --server-side --force-conflicts` does it.
// Calico's CRDs are too large for client-side apply's last-applied annotation (projectcalico/calico#6491).
// CRDs go first and must be Established before objects of their kinds can be applied.
import { Worker } from 'node:worker_threads';
import { deepFreeze } from '../deep-freeze.ts';
import { mapLimited } from '../map-limited.ts';
import type { StepContext } from '../steps/step.ts';
import { waitFor } from '../steps/wait.ts';
import { conditionOf, type KubeApi, type KubeObject } from './client.ts';

/**
 * parseManifests in a worker thread: Tigera's Enterprise CRDs are 3.9 MB of YAML, about 0.3 s of parsing (more on
 * a busy machine) with single documents of 100 ms, which on the job's own event loop delayed every other step's
 * next call (a control plane's CreateCluster by 0.2 s) and the job lock's renewal. Objects arrive a document at a
 * time, so taking them in costs this thread little at once.
 */
function parseManifestsInThread(text: string): Promise<KubeObject[]> {
  return new Promise((resolve, reject) => {
    const out: KubeObject[] = [];
    let settled = false;
    const settle = (err?: Error) => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      if (err) reject(err);
      else resolve(out);
    };
    const worker = new Worker(new URL('./manifest-parse-thread.ts', import.meta.url), { workerData: { text } });
    worker.on('message', (m: { objects?: KubeObject[]; done?: true; error?: string }) => {
      if (m.objects) out.push(...m.objects);
      else if (m.done) settle();
      else if (m.error !== undefined) settle(new Error(m.error));
    });
    worker.once('error', (err) => settle(new Error(`the manifest parser thread failed: ${err.message}`)));
    worker.once('exit', (code) => settle(new Error(`the manifest parser thread stopped (exit code ${code})`)));
  });
}

// Every cluster of every `up` applies the same release, so each text is parsed once per process (a few releases
// at most), and callers that ask at the same time share the one parse. Keyed by the text itself: V8 hashes a
// string once and keeps the hash, where a SHA-256 of the Enterprise CRDs took 10 ms per call.
const parsed = new Map<string, Promise<readonly KubeObject[]>>();
const PARSED_KEPT = 4;

/**
 * parseManifests, remembered by the text. Every caller gets the same objects, frozen (a change throws): a copy per
 * caller cost 40 ms of the job's event loop per cluster, at the moment its node group is being created.
 */
export async function parseManifestsOnce(text: string): Promise<readonly KubeObject[]> {
  let objects = parsed.get(text);
  if (!objects) {
    objects = parseManifestsInThread(text).then((all) => deepFreeze(all));
    if (parsed.size >= PARSED_KEPT) parsed.delete(parsed.keys().next().value!);
    parsed.set(text, objects);
    objects.catch(() => parsed.delete(text));
  }
  return objects;
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
/** CRDs applied and read a few at a time: one after another, 78 Enterprise CRDs cost seconds of round trips. */
const CRD_CONCURRENCY = 6;
const established = (o: KubeObject | undefined) => conditionOf(o, 'Established')?.status === 'True';
const isNamespace = (o: KubeObject) => o.kind === 'Namespace' && o.apiVersion === 'v1';

export interface ApplyResult {
  applied: number;
  crds: number;
}

/** Applies CRDs, waits until they are Established, then namespaces, then everything else in file order. */
export async function applyObjects(
  ctx: StepContext,
  client: KubeApi,
  objects: readonly KubeObject[],
  opts: { pollIntervalMs: number; timeoutMs?: number },
): Promise<ApplyResult> {
  const crds = objects.filter(isCrd);
  // The apply's answer carries the CRD's status: one already Established (an update, or a quick API server) is
  // not read again; only the others are polled.
  const answers = await mapLimited(crds, CRD_CONCURRENCY, (crd) => client.apply(crd));
  let pending = crds.filter((_, i) => !established(answers[i]));
  if (pending.length) {
    await waitFor(ctx, {
      what: `${crds.length} CRDs Established`,
      intervalMs: opts.pollIntervalMs,
      timeoutMs: opts.timeoutMs ?? 120_000,
      poll: async () => {
        const live = await mapLimited(pending, CRD_CONCURRENCY, (crd) =>
          client.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', crd.metadata.name),
        );
        pending = pending.filter((_, i) => !established(live[i]));
        const names = pending.map((crd) => crd.metadata.name);
        return {
          done: pending.length === 0,
          status: pending.length ? `not Established yet: ${names.slice(0, 5).join(', ')}` : 'all Established',
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
  return applyObjects(ctx, client, await parseManifestsOnce(text), opts);
}

// After the node group is scaled up: nodes Ready, Calico Available, and the Enterprise API that Cluster Mesh
// needs actually served. Calico Open Source has no RemoteClusterConfiguration: say so plainly, and stop.
import type { ClusterSpec } from '../../../src/config/spec-types.ts';
import type { Deps } from '../../../src/deps.ts';
import { PermanentError } from '../../../src/errors.ts';
import { conditionOf, type KubeClient } from '../../../src/kube/client.ts';
import { leaf, type LeafStep, type StepContext } from '../../../src/steps/step.ts';
import { waitFor } from '../../../src/steps/wait.ts';
import { applyLicenseIfServed } from './cni-swap.ts';
import { ENTERPRISE_HINT, kubeFor } from './common.ts';

export const NODES_READY_TIMEOUT_MS = 15 * 60_000;
export const CALICO_READY_TIMEOUT_MS = 15 * 60_000;

interface Node {
  metadata: { name: string };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

export async function nodesReady(client: KubeClient): Promise<{ ready: number; total: number; notReady: string[] }> {
  const nodes = await client.list<Node>('v1', 'Node');
  const notReady = nodes.filter((n) => conditionOf(n, 'Ready')?.status !== 'True').map((n) => n.metadata.name);
  return { ready: nodes.length - notReady.length, total: nodes.length, notReady };
}

/** "calico: Available" or "calico: Degraded (Typha not ready: 0/1)"; undefined status when absent. */
export async function tigeraStatus(client: KubeClient, name: string): Promise<{ available: boolean; text: string }> {
  const ts = await client.get('operator.tigera.io/v1', 'TigeraStatus', name);
  if (!ts) return { available: false, text: `${name}: no TigeraStatus yet` };
  const available = conditionOf(ts, 'Available')?.status === 'True';
  if (available) return { available, text: `${name}: Available` };
  const conds = ((ts as { status?: { conditions?: Array<{ type: string; status: string; message?: string; reason?: string }> } }).status?.conditions ?? [])
    .filter((c) => c.status === 'True')
    .map((c) => `${c.type}${c.message || c.reason ? ` (${c.message || c.reason})` : ''}`);
  return { available, text: `${name}: ${conds.length ? conds.join(', ') : 'no conditions yet'}` };
}

export const RCC_API = { apiVersion: 'projectcalico.org/v3', plural: 'remoteclusterconfigurations' } as const;

/** Throws the plain "needs Enterprise" error when the cluster has no RemoteClusterConfiguration API. */
export async function requireClusterMeshApi(client: KubeClient, deps: Deps, cluster: ClusterSpec): Promise<void> {
  if (await client.serves(RCC_API.apiVersion, RCC_API.plural)) return;
  const runs = deps.spec.calico.variant === 'oss' ? 'runs Calico Open Source' : `runs Calico ${deps.spec.calico.variant}, but its Enterprise API (projectcalico.org/v3 RemoteClusterConfiguration) is not served`;
  throw new PermanentError(
    `Cluster Mesh needs Calico Enterprise or Calico Cloud: cluster ${cluster.name} ${runs}, so it has no RemoteClusterConfiguration resource and cannot join a mesh`,
    { code: 'ClusterMeshUnsupported', hint: ENTERPRISE_HINT },
  );
}

async function applyFlowLogs(client: KubeClient, deps: Deps): Promise<string> {
  const flow = deps.spec.calico.flowLogs;
  // Flow-log fields exist only in Enterprise/Cloud's FelixConfiguration.
  if (!flow || deps.spec.calico.variant === 'oss') return '';
  if (!(await client.resourceFor('projectcalico.org/v3', 'FelixConfiguration'))) return '';
  const spec = { flowLogsFlushInterval: `${flow.flushIntervalSeconds}s` };
  const existing = await client.get('projectcalico.org/v3', 'FelixConfiguration', 'default');
  if (existing) await client.mergePatch({ apiVersion: 'projectcalico.org/v3', kind: 'FelixConfiguration', name: 'default' }, { spec });
  else await client.apply({ apiVersion: 'projectcalico.org/v3', kind: 'FelixConfiguration', metadata: { name: 'default' }, spec });
  return `, flow logs every ${flow.flushIntervalSeconds}s`;
}

async function waitNodes(ctx: StepContext, deps: Deps, client: KubeClient, cluster: ClusterSpec): Promise<number> {
  const want = cluster.nodeGroup.desiredSize;
  await waitFor(ctx, {
    what: `${cluster.name}: ${want} nodes Ready`,
    intervalMs: deps.pollIntervalMs,
    timeoutMs: NODES_READY_TIMEOUT_MS,
    poll: async () => {
      const n = await nodesReady(client);
      const status = `${n.ready}/${want} nodes Ready${n.notReady.length ? ` (not Ready: ${n.notReady.slice(0, 4).join(', ')})` : ''}`;
      return { done: n.ready >= want, status };
    },
  });
  return want;
}

export function calicoReadyStep(deps: Deps, cluster: ClusterSpec): LeafStep {
  return leaf(
    `calico/${cluster.name}/ready`,
    `${cluster.name}: wait for nodes and Calico to be ready, check the Cluster Mesh API`,
    async (ctx) => {
      const client = await kubeFor(deps, cluster);
      const nodes = await waitNodes(ctx, deps, client, cluster);
      const names = ['calico', 'apiserver'];
      await waitFor(ctx, {
        what: `${cluster.name}: TigeraStatus ${names.join(' and ')} Available`,
        intervalMs: deps.pollIntervalMs,
        timeoutMs: CALICO_READY_TIMEOUT_MS,
        poll: async () => {
          const all = await Promise.all(names.map((n) => tigeraStatus(client, n)));
          return { done: all.every((s) => s.available), status: all.map((s) => s.text).join('; ') };
        },
      });
      await ctx.checkpoint();
      let license = '';
      if (deps.spec.calico.variant === 'enterprise') {
        // Applied again on every run (server-side apply is idempotent) in case the install step had to defer it.
        if (await applyLicenseIfServed(client, deps)) license = ', license in place';
      }
      await requireClusterMeshApi(client, deps, cluster);
      const flow = await applyFlowLogs(client, deps);
      return {
        summary: `${cluster.name}: ${nodes} nodes Ready, TigeraStatus calico and apiserver Available, RemoteClusterConfiguration API served${license}${flow}`,
        changed: false,
      };
    },
    async () => {
      const client = await kubeFor(deps, cluster);
      const n = await nodesReady(client);
      const calico = await tigeraStatus(client, 'calico');
      const state = n.ready >= cluster.nodeGroup.desiredSize && calico.available ? 'exists' : 'missing';
      return { state, detail: `${n.ready}/${cluster.nodeGroup.desiredSize} nodes Ready; ${calico.text}` };
    },
  );
}

// The Kubernetes half of `/mesh status` for one cluster: nodes, Calico, federation (each remote cluster's
// RemoteClusterConfiguration and what calico-typha says about it), federated services, workloads.
// Read-only; an unreachable cluster is one failing line, never a throw.
import type { ClusterSpec } from '../../src/config/spec-types.ts';
import type { Deps } from '../../src/deps.ts';
import { errorMessage, PermanentError } from '../../src/errors.ts';
import type { KubeClient } from '../../src/kube/client.ts';
import { nodesReady, tigeraStatus } from '../up/kube/calico-ready.ts';
import { CALICO_NS, kubeFor, otherClusters, statefulSetName } from '../up/kube/common.ts';
import { remoteSecretName } from '../up/kube/mesh-pair.ts';
import { readTyphaSync } from '../up/kube/mesh-sync.ts';
import { NETSHOOT, podReady, statefulSetState } from '../up/kube/workloads.ts';
import type { StatusLine } from './types.ts';

interface EndpointsLite {
  subsets?: Array<{ addresses?: Array<{ targetRef?: { name?: string } }> }>;
}

async function nodeLines(client: KubeClient, cluster: ClusterSpec): Promise<StatusLine[]> {
  const n = await nodesReady(client);
  const want = cluster.nodeGroup.desiredSize;
  const health = n.total === 0 ? 'absent' : n.ready >= want ? 'ok' : n.ready > 0 ? 'warning' : 'failing';
  const lines: StatusLine[] = [{ health, subject: 'nodes', detail: `${n.ready}/${want} Ready${n.notReady.length ? ` (not Ready: ${n.notReady.slice(0, 4).join(', ')})` : ''}` }];
  if (await client.get('apps/v1', 'DaemonSet', 'aws-node', 'kube-system')) {
    lines.push({ health: 'warning', subject: 'DaemonSet kube-system/aws-node', detail: 'the AWS VPC CNI is still installed (the CNI swap has not run)' });
  }
  return lines;
}

async function calicoLines(client: KubeClient): Promise<StatusLine[]> {
  const lines: StatusLine[] = [];
  for (const name of ['calico', 'apiserver']) {
    const ts = await tigeraStatus(client, name);
    const absent = ts.text.endsWith('no TigeraStatus yet');
    lines.push({ health: ts.available ? 'ok' : absent ? 'absent' : 'failing', subject: `TigeraStatus ${name}`, detail: ts.text.replace(`${name}: `, '') });
  }
  return lines;
}

async function federationLines(deps: Deps, client: KubeClient, cluster: ClusterSpec): Promise<StatusLine[]> {
  const others = otherClusters(deps, cluster).map((c) => c.name);
  const typha = await readTyphaSync(client, others).catch(() => undefined);
  const lines: StatusLine[] = [];
  for (const other of others) {
    const subject = `RemoteClusterConfiguration ${other}`;
    const rcc = await client.get('projectcalico.org/v3', 'RemoteClusterConfiguration', other);
    const secret = await client.get('v1', 'Secret', remoteSecretName(other), CALICO_NS);
    if (!rcc) {
      lines.push({ health: 'absent', subject, detail: `not configured: ${cluster.name} does not read ${other}` });
      continue;
    }
    if (!secret) {
      lines.push({ health: 'failing', subject, detail: `Secret ${CALICO_NS}/${remoteSecretName(other)} is missing` });
      continue;
    }
    const synced = typha?.inSync.get(other);
    const last = typha?.relevant.filter((l) => l.includes(`(${other})`)).at(-1);
    lines.push(
      synced
        ? { health: 'ok', subject, detail: 'in sync (calico-typha)' }
        : { health: 'failing', subject, detail: `not in sync per calico-typha${last ? `; last: ${last}` : ''}` },
    );
  }
  return lines;
}

async function serviceLines(deps: Deps, client: KubeClient, cluster: ClusterSpec): Promise<StatusLine[]> {
  const ns = deps.spec.workloads.namespace;
  const lines: StatusLine[] = [];
  for (const other of otherClusters(deps, cluster)) {
    const svc = statefulSetName(other.name);
    const subject = `federated Service ${svc}`;
    if (!(await client.get('v1', 'Service', svc, ns))) {
      lines.push({ health: 'absent', subject, detail: 'missing' });
      continue;
    }
    const eps = await client.get<EndpointsLite>('v1', 'Endpoints', svc, ns);
    const names = (eps?.subsets ?? []).flatMap((s) => s.addresses ?? []).map((a) => a.targetRef?.name ?? '');
    const remote = names.filter((n) => n.includes('/')).length;
    lines.push({ health: remote > 0 ? 'ok' : 'failing', subject, detail: `${names.length - remote} local, ${remote} remote endpoints` });
  }
  const sts = await statefulSetState(client, deps, cluster.name);
  lines.push(
    sts
      ? { health: sts.ready >= sts.desired ? 'ok' : 'warning', subject: `StatefulSet ${statefulSetName(cluster.name)}`, detail: `${sts.ready}/${sts.desired} Ready` }
      : { health: 'absent', subject: `StatefulSet ${statefulSetName(cluster.name)}`, detail: 'missing' },
  );
  const n = await podReady(client, NETSHOOT, ns);
  lines.push({ health: n === 'ready' ? 'ok' : n === 'missing' ? 'absent' : 'warning', subject: 'pod netshoot', detail: n === 'ready' ? 'Ready' : n });
  return lines;
}

export async function observeKube(deps: Deps, cluster: ClusterSpec): Promise<StatusLine[]> {
  let client: KubeClient;
  try {
    client = await kubeFor(deps, cluster);
  } catch (err) {
    if (err instanceof PermanentError && err.code === 'ResourceNotFoundException') {
      return [{ health: 'absent', subject: 'Kubernetes', detail: `no EKS cluster ${deps.spec.name}-${cluster.name}` }];
    }
    return [{ health: 'failing', subject: 'Kubernetes API', detail: `unreachable: ${errorMessage(err)}` }];
  }
  try {
    const nodes = await nodeLines(client, cluster);
    const [calico, federation, services] = await Promise.all([calicoLines(client), federationLines(deps, client, cluster), serviceLines(deps, client, cluster)]);
    return [...nodes, ...calico, ...federation, ...services];
  } catch (err) {
    return [{ health: 'failing', subject: 'Kubernetes API', detail: `unreachable: ${errorMessage(err)}` }];
  }
}

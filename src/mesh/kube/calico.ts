// The CNI swap and the Calico install of one cluster, as one kind: aws-node gone, the tigera-operator and its
// Installation in place, nodes Ready, TigeraStatus calico and apiserver Available, and (for a mesh) the
// Enterprise API that Cluster Mesh needs actually served. Calico Open Source has none: say so plainly.
import { eksClusterName } from '../../aws/tags.ts';
import { cloudTokenVariable } from '../../config/cloud-tokens.ts';
import type { CalicoVariant, ClusterSpec } from '../../config/spec-types.ts';
import { type Deps, kubePollMs } from '../../deps.ts';
import { PermanentError } from '../../errors.ts';
import { conditionOf, type KubeApi } from '../../kube/client.ts';
import type { StepContext, StepOutcome } from '../../steps/step.ts';
import { waitFor } from '../../steps/wait.ts';
import {
  AUTO_DETECTED_MTU,
  applyLicenseIfServed,
  applyOperator,
  CALICO_MTU,
  installationObjects,
  joinCalicoCloud,
  PULL_SECRET,
  pullSecret,
  requireEnterpriseCredentials,
} from './calico-install.ts';
import type { HealthLine, ObjectRef } from './health.ts';
import { ENTERPRISE_HINT, MANAGED_BY, TIGERA_OPERATOR_NS } from './names.ts';

export const NODES_READY_TIMEOUT_MS = 15 * 60_000;
export const CLOUD_JOIN_TIMEOUT_MS = 15 * 60_000;
export const CALICO_READY_TIMEOUT_MS = 15 * 60_000;
export const RCC_API = { apiVersion: 'projectcalico.org/v3', plural: 'remoteclusterconfigurations' } as const;
const TIGERA_STATUSES = ['calico', 'apiserver'];
/**
 * A Calico Cloud cluster reaches its management plane through guardian: the operator's clusterconnection
 * controller runs it (Deployment calico-system/guardian in tigera/operator v1.42) for the ManagementClusterConnection
 * named tigera-secure, and reports it as TigeraStatus management-cluster-connection.
 */
const CLOUD_CONNECTION_STATUS = 'management-cluster-connection';
const MANAGEMENT_CLUSTER_CONNECTION = 'tigera-secure';

interface Node {
  metadata: { name: string };
  status?: { conditions?: Array<{ type: string; status: string }> };
}

interface InstallationLite {
  metadata: { labels?: Record<string, string> };
  spec?: { variant?: string; calicoNetwork?: { mtu?: number; ipPools?: Array<{ cidr?: string }> } };
}

export interface CalicoFound {
  awsNode: boolean;
  installation?: InstallationLite;
  pool?: string;
}

export async function find(client: KubeApi): Promise<CalicoFound> {
  const [awsNode, installation] = await Promise.all([
    client.get('apps/v1', 'DaemonSet', 'aws-node', 'kube-system'),
    client.get<InstallationLite>('operator.tigera.io/v1', 'Installation', 'default').catch(() => undefined),
  ]);
  return { awsNode: !!awsNode, installation, pool: installation?.spec?.calicoNetwork?.ipPools?.[0]?.cidr };
}

export async function nodesReady(client: KubeApi): Promise<{ ready: number; total: number; notReady: string[] }> {
  const nodes = await client.list<Node>('v1', 'Node');
  const notReady = nodes.filter((n) => conditionOf(n, 'Ready')?.status !== 'True').map((n) => n.metadata.name);
  return { ready: nodes.length - notReady.length, total: nodes.length, notReady };
}

type Condition = { type: string; status: string; message?: string; reason?: string };

/** "calico: Available" or "calico: Degraded (Typha not ready: 0/1)"; "no TigeraStatus yet" when absent. */
export async function tigeraStatus(client: KubeApi, name: string): Promise<{ available: boolean; text: string }> {
  const ts = await client.get<{ status?: { conditions?: Condition[] } }>('operator.tigera.io/v1', 'TigeraStatus', name);
  if (!ts) return { available: false, text: `${name}: no TigeraStatus yet` };
  const available = conditionOf(ts, 'Available')?.status === 'True';
  if (available) return { available, text: `${name}: Available` };
  const conds = (ts.status?.conditions ?? [])
    .filter((c) => c.status === 'True')
    .map((c) => `${c.type}${c.message || c.reason ? ` (${c.message || c.reason})` : ''}`);
  return { available, text: `${name}: ${conds.length ? conds.join(', ') : 'no conditions yet'}` };
}

/** The MTU of the cluster's pod interfaces: the Installation's, else what Calico auto-detects. */
export async function podMtu(client: KubeApi): Promise<{ mtu: number; configured: boolean }> {
  const mtu = (await find(client)).installation?.spec?.calicoNetwork?.mtu;
  return typeof mtu === 'number' ? { mtu, configured: true } : { mtu: AUTO_DETECTED_MTU, configured: false };
}

/** Judges the Installation's MTU against what an inter-Region peering carries. */
export function mtuHealth(found: CalicoFound): HealthLine | undefined {
  if (!found.installation) return undefined;
  const mtu = found.installation.spec?.calicoNetwork?.mtu;
  const subject = 'Calico MTU';
  if (mtu === undefined) {
    const detail =
      `Installation sets no calicoNetwork.mtu: Calico uses ${AUTO_DETECTED_MTU}, and packets over 8500 bytes ` +
      `between Regions are dropped; run \`/mesh up\` to set ${CALICO_MTU}`;
    return { health: 'warning', subject, detail };
  }
  if (mtu > CALICO_MTU) {
    return {
      health: 'warning',
      subject,
      detail: `${mtu} is more than the ${CALICO_MTU} an inter-Region peering carries in VXLAN`,
    };
  }
  return { health: 'ok', subject, detail: `${mtu} (8500 across Regions less VXLAN's 50)` };
}

/** Throws the plain "needs Enterprise" error when the cluster has no RemoteClusterConfiguration API. */
export async function requireClusterMeshApi(client: KubeApi, deps: Deps, cluster: ClusterSpec): Promise<void> {
  if (await client.serves(RCC_API.apiVersion, RCC_API.plural)) return;
  const variant = deps.spec.calico.variant;
  const runs =
    variant === 'oss'
      ? 'runs Calico Open Source'
      : `runs Calico ${variant}, but its Enterprise API (projectcalico.org/v3 RemoteClusterConfiguration) is not served`;
  throw new PermanentError(
    `Cluster Mesh needs Calico Enterprise or Calico Cloud: cluster ${cluster.name} ${runs}, ` +
      'so it has no RemoteClusterConfiguration resource and cannot join a mesh',
    { code: 'ClusterMeshUnsupported', hint: ENTERPRISE_HINT },
  );
}

/** Nodes, the AWS CNI, and the operator's TigeraStatus, as status lines. */
export async function health(client: KubeApi, cluster: ClusterSpec, variant?: CalicoVariant): Promise<HealthLine[]> {
  const n = await nodesReady(client);
  const want = cluster.nodeGroup.desiredSize;
  const nodeHealth = n.total === 0 ? 'absent' : n.ready >= want ? 'ok' : n.ready > 0 ? 'warning' : 'failing';
  const notReady = n.notReady.length ? ` (not Ready: ${n.notReady.slice(0, 4).join(', ')})` : '';
  const lines: HealthLine[] = [{ health: nodeHealth, subject: 'nodes', detail: `${n.ready}/${want} Ready${notReady}` }];
  const found = await find(client);
  if (found.awsNode) {
    lines.push({
      health: 'warning',
      subject: 'DaemonSet kube-system/aws-node',
      detail: 'the AWS VPC CNI is still installed (the CNI swap has not run)',
    });
  }
  const mtu = mtuHealth(found);
  if (mtu) lines.push(mtu);
  for (const name of TIGERA_STATUSES) {
    const ts = await tigeraStatus(client, name);
    const absent = ts.text.endsWith('no TigeraStatus yet');
    lines.push({
      health: ts.available ? 'ok' : absent ? 'absent' : 'failing',
      subject: `TigeraStatus ${name}`,
      detail: ts.text.replace(`${name}: `, ''),
    });
  }
  if (variant === 'cloud') {
    const c = await cloudConnection(client);
    lines.push({
      health: c.available ? 'ok' : c.found ? 'failing' : 'absent',
      subject: `TigeraStatus ${CLOUD_CONNECTION_STATUS}`,
      detail: `${c.text.replace(`${CLOUD_CONNECTION_STATUS}: `, '')}${c.addr ? ` (guardian to ${c.addr})` : ''}`,
    });
  }
  return lines;
}

/**
 * Deletes the AWS VPC CNI's DaemonSet before any node joins, so that no node ever runs it (a node that did keeps
 * its CNI config): all the node group must wait for. The operator and the Installation (`ensure`) can follow
 * while the node group comes up, since the operator runs only once a node has joined. Checks Enterprise's
 * credentials first, so that no node group is made for an install that cannot happen.
 */
export async function removeAwsNode(
  ctx: StepContext,
  deps: Deps,
  client: KubeApi,
  cluster: ClusterSpec,
): Promise<StepOutcome> {
  if (deps.spec.calico.variant === 'enterprise') requireEnterpriseCredentials(deps);
  const removed = await client.delete('apps/v1', 'DaemonSet', 'aws-node', 'kube-system');
  if (removed) ctx.note(`${cluster.name}: deleted DaemonSet kube-system/aws-node`);
  return {
    summary: removed
      ? `${cluster.name}: DaemonSet kube-system/aws-node deleted before any node joined`
      : `${cluster.name}: no aws-node DaemonSet (the AWS VPC CNI is not installed)`,
    changed: removed,
  };
}

/** Removes aws-node, applies the operator and the Installation (and Enterprise's secret and license). */
export async function ensure(
  ctx: StepContext,
  deps: Deps,
  client: KubeApi,
  cluster: ClusterSpec,
): Promise<StepOutcome> {
  const { variant, version, encapsulation } = deps.spec.calico;
  if (variant === 'enterprise') requireEnterpriseCredentials(deps);
  const before = (await find(client)).installation;
  const removedAwsNode = await client.delete('apps/v1', 'DaemonSet', 'aws-node', 'kube-system');
  if (removedAwsNode) ctx.note(`${cluster.name}: deleted DaemonSet kube-system/aws-node`);
  await ctx.checkpoint();

  const applied = await applyOperator(ctx, deps, client);
  ctx.note(`${cluster.name}: tigera-operator applied (${applied} objects)`);
  if (variant === 'enterprise') await client.apply(pullSecret(deps, deps.calico.enterprisePullSecret!));
  for (const o of installationObjects(deps, cluster)) await client.apply(o);
  let license = '';
  if (variant === 'enterprise') {
    license = (await applyLicenseIfServed(client, deps)) ? ', license applied' : ', license after the API server is up';
  }
  if (variant === 'cloud') await joinCalicoCloud(ctx, deps, client, cluster);

  const awsNode = removedAwsNode ? 'aws-node deleted, ' : '';
  return {
    summary:
      `${cluster.name}: ${awsNode}tigera-operator ${version} applied (${applied} objects), ` +
      `Installation default (${variant}, pool ${cluster.podCidr} ${encapsulation})${license}`,
    changed: removedAwsNode || !before,
    resources: { installation: 'default', ipPool: cluster.podCidr },
  };
}

type InstallerLite = {
  metadata: { name: string };
  status?: { state?: string; message?: string; clusterName?: string };
};

/**
 * Calico Cloud's join, after Calico Open Source is Available: its installer records progress in an Installer
 * (operator.calicocloud.io, namespace calico-cloud; named `default` or after the cluster, depending on how the
 * join was generated), whose status.state is `complete` once installed and whose status.clusterName is the name the
 * join was generated for (docs.tigera.io calico-cloud checklist), and it has switched the Installation to
 * TigeraSecureEnterprise. A name other than this cluster's means its token is another cluster's join.
 */
async function awaitCloudJoin(ctx: StepContext, deps: Deps, client: KubeApi, cluster: ClusterSpec): Promise<string> {
  const expected = eksClusterName(deps.spec.name, cluster.name);
  await waitFor(ctx, {
    what: `${cluster.name}: Calico Cloud's installer complete and the Installation upgraded`,
    intervalMs: kubePollMs(deps),
    timeoutMs: CLOUD_JOIN_TIMEOUT_MS,
    poll: async () => {
      const installers = await client
        .list<InstallerLite>('operator.calicocloud.io/v1', 'Installer', { namespace: 'calico-cloud' })
        .catch(() => [] as InstallerLite[]);
      const failed = installers.find((i) => i.status?.state === 'failed');
      if (failed) {
        throw new PermanentError(
          `Calico Cloud could not connect cluster ${cluster.name}: ${failed.status?.message || 'failed'}`,
          {
            code: 'CalicoCloudJoinFailed',
            hint:
              'Calico Cloud connects a cluster that runs Calico Open Source (Installation variant Calico), with the ' +
              `join generated for its own name; its installer logs: kubectl logs -n calico-cloud ` +
              'deployment/calico-cloud-controller-manager',
          },
        );
      }
      const other = installers.find((i) => i.status?.clusterName && i.status.clusterName !== expected);
      if (other) {
        const variable = cloudTokenVariable(cluster.name);
        throw new PermanentError(
          `Calico Cloud connected cluster ${cluster.name} as ${other.status!.clusterName}, not ${expected}: ` +
            `${variable} holds the join generated for ${other.status!.clusterName}`,
          {
            code: 'CalicoCloudWrongCluster',
            hint: `generate a join for ${expected} (Managed Clusters, Connect Cluster) and set ${variable} to its token`,
          },
        );
      }
      const variant = (await find(client)).installation?.spec?.variant ?? 'Calico';
      const complete = installers.length > 0 && installers.every((i) => i.status?.state === 'complete');
      const seen = installers.length
        ? installers
            .map((i) => {
              const s = i.status;
              return `Installer ${i.metadata.name} ${s?.state || 'not started'}${s?.message ? ` (${s.message})` : ''}`;
            })
            .join(', ')
        : 'no Installer yet';
      return {
        done: complete && variant === 'TigeraSecureEnterprise',
        status: `${seen}; Installation variant ${variant}`,
      };
    },
  });
  return expected;
}

type ConnectionLite = { spec?: { managementClusterAddr?: string } };

/** TigeraStatus management-cluster-connection and where guardian dials (the ManagementClusterConnection's address). */
async function cloudConnection(
  client: KubeApi,
): Promise<{ found: boolean; available: boolean; text: string; addr?: string }> {
  const [mcc, ts] = await Promise.all([
    client
      .get<ConnectionLite>('operator.tigera.io/v1', 'ManagementClusterConnection', MANAGEMENT_CLUSTER_CONNECTION)
      .catch(() => undefined),
    tigeraStatus(client, CLOUD_CONNECTION_STATUS),
  ]);
  const addr = mcc?.spec?.managementClusterAddr;
  if (!mcc) {
    return {
      found: false,
      available: false,
      text: `no ManagementClusterConnection ${MANAGEMENT_CLUSTER_CONNECTION} yet`,
    };
  }
  return { found: true, available: ts.available, text: ts.text, addr };
}

/** Calico Cloud's management plane reached: guardian up for the ManagementClusterConnection the installer made. */
async function awaitCloudConnection(ctx: StepContext, deps: Deps, client: KubeApi, cluster: ClusterSpec) {
  let addr: string | undefined;
  await waitFor(ctx, {
    what: `${cluster.name}: TigeraStatus ${CLOUD_CONNECTION_STATUS} Available (guardian, to Calico Cloud)`,
    intervalMs: kubePollMs(deps),
    timeoutMs: CALICO_READY_TIMEOUT_MS,
    poll: async () => {
      const c = await cloudConnection(client);
      addr = c.addr;
      return { done: c.available, status: c.text };
    },
  });
  return addr;
}

async function waitTigeraStatus(ctx: StepContext, deps: Deps, client: KubeApi, cluster: ClusterSpec): Promise<void> {
  await waitFor(ctx, {
    what: `${cluster.name}: TigeraStatus ${TIGERA_STATUSES.join(' and ')} Available`,
    intervalMs: kubePollMs(deps),
    timeoutMs: CALICO_READY_TIMEOUT_MS,
    poll: async () => {
      const all = await Promise.all(TIGERA_STATUSES.map((n) => tigeraStatus(client, n)));
      return { done: all.every((s) => s.available), status: all.map((s) => s.text).join('; ') };
    },
  });
}

async function waitNodes(ctx: StepContext, deps: Deps, client: KubeApi, cluster: ClusterSpec): Promise<number> {
  const want = cluster.nodeGroup.desiredSize;
  await waitFor(ctx, {
    what: `${cluster.name}: ${want} nodes Ready`,
    intervalMs: kubePollMs(deps),
    timeoutMs: NODES_READY_TIMEOUT_MS,
    poll: async () => {
      const n = await nodesReady(client);
      const notReady = n.notReady.length ? ` (not Ready: ${n.notReady.slice(0, 4).join(', ')})` : '';
      return { done: n.ready >= want, status: `${n.ready}/${want} nodes Ready${notReady}` };
    },
  });
  return want;
}

/** The waits after the node group is scaled: nodes Ready, Calico Available, the Cluster Mesh API served. */
export async function awaitReady(
  ctx: StepContext,
  deps: Deps,
  client: KubeApi,
  cluster: ClusterSpec,
): Promise<StepOutcome> {
  const nodes = await waitNodes(ctx, deps, client, cluster);
  await waitTigeraStatus(ctx, deps, client, cluster);
  await ctx.checkpoint();
  let cloud = '';
  if (deps.spec.calico.variant === 'cloud') {
    const name = await awaitCloudJoin(ctx, deps, client, cluster);
    // The upgrade restarts Calico as Enterprise: wait until its API serves RemoteClusterConfiguration, then Available.
    await waitFor(ctx, {
      what: `${cluster.name}: the Enterprise API (RemoteClusterConfiguration) served after the upgrade`,
      intervalMs: kubePollMs(deps),
      timeoutMs: CALICO_READY_TIMEOUT_MS,
      poll: async () => {
        const served = await client.serves(RCC_API.apiVersion, RCC_API.plural);
        return { done: served, status: served ? 'served' : 'not served yet' };
      },
    });
    await waitTigeraStatus(ctx, deps, client, cluster);
    const addr = await awaitCloudConnection(ctx, deps, client, cluster);
    cloud =
      `, connected to Calico Cloud as ${name} (installer complete, Installation upgraded to ` +
      `TigeraSecureEnterprise, ${CLOUD_CONNECTION_STATUS} Available${addr ? `, guardian to ${addr}` : ''})`;
  }
  // Three things that do not depend on one another, at once: the pairs and workloads wait for this step. The license
  // is applied again on every run (server-side apply is idempotent) in case the install had to defer it.
  const [licensed, , flow] = await Promise.all([
    deps.spec.calico.variant === 'enterprise' ? applyLicenseIfServed(client, deps) : false,
    requireClusterMeshApi(client, deps, cluster),
    applyFlowLogs(client, deps),
  ]);
  const license = licensed ? ', license in place' : '';
  return {
    summary:
      `${cluster.name}: ${nodes} nodes Ready, TigeraStatus calico and apiserver Available, ` +
      `RemoteClusterConfiguration API served${cloud}${license}${flow}`,
    changed: false,
  };
}

/**
 * The blueprint's flow-log settings in FelixConfiguration default, where the variant has them (Calico Enterprise
 * and Cloud; Open Source's FelixConfiguration lacks all but flowLogsFlushInterval): DNS, L7 and flow logs flushed at
 * the spec's interval, allowed flows aggregated by source port (1), host endpoints reported.
 */
export function flowLogFields(deps: Deps): Record<string, string | number | boolean> | undefined {
  const flow = deps.spec.calico.flowLogs;
  if (!flow || deps.spec.calico.variant === 'oss') return undefined;
  const every = `${flow.flushIntervalSeconds}s`;
  return {
    dnsLogsFlushInterval: every,
    l7LogsFlushInterval: every,
    flowLogsFlushInterval: every,
    flowLogsFileAggregationKindForAllowed: 1,
    flowLogsEnableHostEndpoint: true,
    // Not in the blueprint: set so that "files on each node" below holds whatever the operator defaults to.
    flowLogsFileEnabled: true,
  };
}

/** Where Felix's flow logs end up: files on each node, shipped on only when log storage and a collector exist. */
async function flowLogDestination(client: KubeApi): Promise<string> {
  const get = (kind: string) => client.get('operator.tigera.io/v1', kind, 'tigera-secure').catch(() => undefined);
  const [collector, storage] = await Promise.all([get('LogCollector'), get('LogStorage')]);
  const files = 'files under /var/log/calico/flowlogs on each node';
  if (collector && storage) return `${files}, shipped by the LogCollector to the LogStorage (Elasticsearch)`;
  if (collector) return `${files}, shipped by the LogCollector to where it forwards them`;
  return `${files} only: no LogStorage or LogCollector is configured, so nothing collects them`;
}

async function applyFlowLogs(client: KubeApi, deps: Deps): Promise<string> {
  const spec = flowLogFields(deps);
  if (!spec) return '';
  if (!(await client.resourceFor('projectcalico.org/v3', 'FelixConfiguration'))) return '';
  // Server-side apply owns just these fields; whatever else the operator or a person set stays.
  await client.apply({
    apiVersion: 'projectcalico.org/v3',
    kind: 'FelixConfiguration',
    metadata: { name: 'default' },
    spec,
  });
  const every = deps.spec.calico.flowLogs!.flushIntervalSeconds;
  return `, flow logs every ${every}s (DNS and L7 too) to ${await flowLogDestination(client)}`;
}

/**
 * Uninstalls what `ensure` applied that meshops labelled: the Installation and APIServer (the operator then
 * removes Calico) and the pull secret. `/mesh down` does not call it: deleting the EKS cluster takes it all.
 */
export async function remove(client: KubeApi): Promise<ObjectRef[]> {
  const candidates: ObjectRef[] = [
    { apiVersion: 'operator.tigera.io/v1', kind: 'APIServer', name: 'default' },
    { apiVersion: 'operator.tigera.io/v1', kind: 'Installation', name: 'default' },
    { apiVersion: 'v1', kind: 'Secret', name: PULL_SECRET, namespace: TIGERA_OPERATOR_NS },
  ];
  const removed: ObjectRef[] = [];
  for (const ref of candidates) {
    const live = await client.get(ref.apiVersion, ref.kind, ref.name, ref.namespace).catch(() => undefined);
    if (live?.metadata.labels?.['app.kubernetes.io/managed-by'] !== MANAGED_BY['app.kubernetes.io/managed-by'])
      continue;
    if (await client.delete(ref.apiVersion, ref.kind, ref.name, ref.namespace)) removed.push(ref);
  }
  return removed;
}

import { describe, expect, it } from 'vitest';
import { PermanentError, WaitTimeoutError } from '../../../src/errors.ts';
import * as calico from '../../../src/mesh/kube/calico.ts';
import * as federation from '../../../src/mesh/kube/federation.ts';
import { readTyphaSync } from '../../../src/mesh/kube/typha.ts';
import { FakeKube, fakeClock, fakeCtx, MESH_LABELS, testDeps, testSpec } from './fake-kube.ts';

const iad = testSpec().clusters[0];
const pdx = testSpec().clusters[1];

function node(name: string, ready: boolean) {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

function tigera(name: string, conditions: Array<{ type: string; status: string; message?: string }>) {
  return { apiVersion: 'operator.tigera.io/v1', kind: 'TigeraStatus', metadata: { name }, status: { conditions } };
}

describe('calico.health', () => {
  it('judges nodes, a leftover aws-node and each TigeraStatus', async () => {
    const kube = new FakeKube();
    kube.put(node('n1', true));
    kube.put(node('n2', false));
    kube.put({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'aws-node', namespace: 'kube-system' } });
    kube.put(tigera('calico', [{ type: 'Available', status: 'True' }]));
    kube.put(
      tigera('apiserver', [
        { type: 'Available', status: 'False' },
        { type: 'Degraded', status: 'True', message: 'Typha not ready: 0/1' },
      ]),
    );
    expect(await calico.health(kube, iad)).toEqual([
      { health: 'warning', subject: 'nodes', detail: '1/2 Ready (not Ready: n2)' },
      {
        health: 'warning',
        subject: 'DaemonSet kube-system/aws-node',
        detail: 'the AWS VPC CNI is still installed (the CNI swap has not run)',
      },
      { health: 'ok', subject: 'TigeraStatus calico', detail: 'Available' },
      { health: 'failing', subject: 'TigeraStatus apiserver', detail: 'Degraded (Typha not ready: 0/1)' },
    ]);
  });

  it('says absent for a cluster with no nodes and no Calico yet', async () => {
    const lines = await calico.health(new FakeKube(), iad);
    expect(lines.map((l) => l.health)).toEqual(['absent', 'absent', 'absent']);
  });
});

describe('calico.awaitReady', () => {
  it('waits for nodes and TigeraStatus, then refuses Calico Open Source plainly', async () => {
    const kube = new FakeKube();
    const clock = fakeClock(() => {
      kube.put(node('n1', true));
      kube.put(node('n2', true));
      kube.put(tigera('calico', [{ type: 'Available', status: 'True' }]));
      kube.put(tigera('apiserver', [{ type: 'Available', status: 'True' }]));
    });
    const deps = testDeps(testSpec('oss'), clock);
    const err = await calico.awaitReady(fakeCtx(clock), deps, kube, iad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).code).toBe('ClusterMeshUnsupported');
    expect((err as Error).message).toMatch(
      /cluster iad runs Calico Open Source, so it has no RemoteClusterConfiguration/,
    );
  });

  it('applies the flow-log interval to FelixConfiguration default when the API serves it', async () => {
    const kube = new FakeKube()
      .serve('projectcalico.org/v3', 'RemoteClusterConfiguration')
      .serve('projectcalico.org/v3', 'FelixConfiguration');
    for (const n of ['n1', 'n2']) kube.put(node(n, true));
    for (const t of ['calico', 'apiserver']) kube.put(tigera(t, [{ type: 'Available', status: 'True' }]));
    kube.put({
      apiVersion: 'projectcalico.org/v3',
      kind: 'FelixConfiguration',
      metadata: { name: 'default' },
      spec: { logSeverityScreen: 'Info' },
    });
    // A Calico Cloud cluster its installer has already upgraded.
    kube.serve('operator.calicocloud.io/v1', 'Installer');
    kube.put({
      apiVersion: 'operator.calicocloud.io/v1',
      kind: 'Installer',
      metadata: { name: 'default', namespace: 'calico-cloud' },
      status: { state: 'done' },
    });
    kube.put({
      apiVersion: 'operator.tigera.io/v1',
      kind: 'Installation',
      metadata: { name: 'default' },
      spec: { variant: 'TigeraSecureEnterprise' },
    });
    const spec = {
      ...testSpec('cloud'),
      calico: { ...testSpec('cloud').calico, flowLogs: { flushIntervalSeconds: 15 } },
    };
    const out = await calico.awaitReady(fakeCtx(fakeClock()), testDeps(spec), kube, iad);
    expect(out.summary).toMatch(
      /RemoteClusterConfiguration API served, connected to Calico Cloud \(installer done, Installation upgraded to TigeraSecureEnterprise\), flow logs every 15s \(DNS and L7 too\) to files under \/var\/log\/calico\/flowlogs on each node only: no LogStorage or LogCollector is configured, so nothing collects them$/,
    );
    const felix = await kube.get<{ spec: Record<string, unknown> }>(
      'projectcalico.org/v3',
      'FelixConfiguration',
      'default',
    );
    expect(felix!.spec).toEqual({
      logSeverityScreen: 'Info',
      dnsLogsFlushInterval: '15s',
      l7LogsFlushInterval: '15s',
      flowLogsFlushInterval: '15s',
      flowLogsFileAggregationKindForAllowed: 1,
      flowLogsEnableHostEndpoint: true,
      flowLogsFileEnabled: true,
    });
    // With a collector and storage the summary says where they are shipped.
    kube.serve('operator.tigera.io/v1', 'LogCollector').serve('operator.tigera.io/v1', 'LogStorage');
    kube.put({ apiVersion: 'operator.tigera.io/v1', kind: 'LogCollector', metadata: { name: 'tigera-secure' } });
    kube.put({ apiVersion: 'operator.tigera.io/v1', kind: 'LogStorage', metadata: { name: 'tigera-secure' } });
    const again = await calico.awaitReady(fakeCtx(fakeClock()), testDeps(spec), kube, iad);
    expect(again.summary).toMatch(/shipped by the LogCollector to the LogStorage \(Elasticsearch\)$/);
  });
});

describe('calico.awaitReady for Calico Cloud', () => {
  it("stops with the installer's reason when the join fails", async () => {
    const kube = new FakeKube().serve('operator.calicocloud.io/v1', 'Installer');
    for (const n of ['n1', 'n2']) kube.put(node(n, true));
    for (const t of ['calico', 'apiserver']) kube.put(tigera(t, [{ type: 'Available', status: 'True' }]));
    const message =
      'Calico Cloud connects a cluster that runs Calico Open Source; this Installation is set to TigeraSecureEnterprise';
    kube.put({
      apiVersion: 'operator.calicocloud.io/v1',
      kind: 'Installer',
      metadata: { name: 'default', namespace: 'calico-cloud' },
      status: { state: 'failed', message },
    });
    const err = await calico
      .awaitReady(fakeCtx(fakeClock()), testDeps(testSpec('cloud')), kube, iad)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).code).toBe('CalicoCloudJoinFailed');
    expect((err as Error).message).toBe(`Calico Cloud could not connect cluster iad: ${message}`);
  });
});

describe('calico.remove', () => {
  it('deletes the Installation and APIServer only when meshops made them', async () => {
    const kube = new FakeKube();
    kube.put({
      apiVersion: 'operator.tigera.io/v1',
      kind: 'Installation',
      metadata: { name: 'default', labels: MESH_LABELS },
    });
    kube.put({ apiVersion: 'operator.tigera.io/v1', kind: 'APIServer', metadata: { name: 'default' } });
    expect((await calico.remove(kube)).map((r) => r.kind)).toEqual(['Installation']);
    expect(await kube.get('operator.tigera.io/v1', 'APIServer', 'default')).toBeDefined();
  });
});

function enterpriseCluster(): FakeKube {
  return new FakeKube().serve('projectcalico.org/v3', 'RemoteClusterConfiguration');
}

describe('federation.ensure', () => {
  it('waits for the source token, writes the kubeconfig Secret and RemoteClusterConfiguration, and is idempotent', async () => {
    const src = enterpriseCluster();
    const dst = enterpriseCluster();
    // The token controller fills the Secret one poll later.
    const clock = fakeClock(() => {
      const s = src.objects.get(FakeKube.key('v1', 'Secret', 'tigera-federation-remote-cluster', 'calico-system'));
      if (s) s.data = { token: Buffer.from('the-token').toString('base64') };
    });
    const deps = testDeps(testSpec(), clock);
    const clients = {
      src,
      dst,
      sourceEndpoint: async () => ({ eksName: 'demo-iad', endpoint: 'https://iad.example', caData: 'Q0E=' }),
    };
    const first = await federation.ensure(fakeCtx(clock), deps, clients, iad, pdx);
    expect(first.changed).toBe(true);
    expect(first.summary).not.toContain('the-token');
    const secret = await dst.get<{ data: Record<string, string> }>('v1', 'Secret', 'iad-secret', 'calico-system');
    expect(Buffer.from(secret!.data.kubeconfig, 'base64').toString()).toContain('token: the-token');
    expect(await federation.find(dst, 'iad')).toMatchObject({ rcc: { metadata: { name: 'iad' } } });
    const again = await federation.ensure(fakeCtx(clock), deps, clients, iad, pdx);
    expect(again.changed).toBe(false);
  });

  it('refuses a destination without the Cluster Mesh API before touching the source', async () => {
    const src = enterpriseCluster();
    const clients = {
      src,
      dst: new FakeKube(),
      sourceEndpoint: async () => ({ eksName: 'x', endpoint: 'x', caData: 'x' }),
    };
    await expect(federation.ensure(fakeCtx(fakeClock()), testDeps(), clients, iad, pdx)).rejects.toThrow(
      /Cluster Mesh needs Calico Enterprise/,
    );
    expect(src.writes).toEqual([]);
  });
});

/** A Ready typha replica with its log and the remote_cluster_connection_status values its metrics report. */
function typhaPod(kube: FakeKube, name: string, lines: string[], status: Record<string, number> = {}) {
  kube.put({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'calico-system', labels: { 'k8s-app': 'calico-typha' } },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  });
  kube.logs.set(`calico-system/${name}`, lines);
  metrics.set(name, status);
  kube.proxy = async (_ns, pod, port, path) => {
    if (port !== 9093 || path !== 'metrics' || !metrics.has(pod)) throw new Error('connection refused');
    const body = Object.entries(metrics.get(pod)!).map(
      ([n, v]) => `remote_cluster_connection_status{remote_cluster_name="${n}"} ${v}`,
    );
    return ['# TYPE remote_cluster_connection_status gauge', ...body, ''].join('\n');
  };
}
const metrics = new Map<string, Record<string, number>>();

describe('readTyphaSync', () => {
  it('is in sync only when every Ready replica reports 2, and names the replica that does not', async () => {
    const kube = enterpriseCluster();
    typhaPod(kube, 'calico-typha-a', ['Sending in-sync update for RemoteClusterConfiguration(iad)'], { iad: 2 });
    typhaPod(kube, 'calico-typha-b', [], { iad: 1 });
    const s = await readTyphaSync(kube, ['iad']);
    expect(s.inSync.has('iad')).toBe(false);
    expect(s.notInSync.get('iad')).toBe('calico-typha-b reports 1 (Connecting)');
    // The number the sync gauge exports: the replica that is not InSync.
    expect(s.states.get('iad')).toBe(1);
    metrics.set('calico-typha-b', { iad: 2 });
    const again = await readTyphaSync(kube, ['iad']);
    expect(again.inSync.get('iad')).toBe(
      'calico-typha-a, calico-typha-b: remote_cluster_connection_status 2 (InSync)\n' +
        'calico-typha-a: Sending in-sync update for RemoteClusterConfiguration(iad)',
    );
  });

  it('reads a rotated log (no in-sync line left) as in sync when the metric says so', async () => {
    const kube = enterpriseCluster();
    typhaPod(kube, 'calico-typha-a', [], { iad: 2 });
    expect((await readTyphaSync(kube, ['iad'])).inSync.get('iad')).toBe(
      'calico-typha-a: remote_cluster_connection_status 2 (InSync)',
    );
  });

  it('says when a replica serves no metrics (the Installation sets no typhaMetricsPort)', async () => {
    const kube = enterpriseCluster();
    typhaPod(kube, 'calico-typha-a', ['Sending in-sync update for RemoteClusterConfiguration(iad)']);
    metrics.delete('calico-typha-a');
    expect((await readTyphaSync(kube, ['iad'])).notInSync.get('iad')).toMatch(
      /^calico-typha-a: metrics not readable on port 9093 \(connection refused\); is typhaMetricsPort set\?$/,
    );
  });
});

describe('federation.health', () => {
  it('is absent without a RemoteClusterConfiguration, failing without its Secret, ok when typha is in sync', async () => {
    const dst = enterpriseCluster();
    expect(await federation.health(dst, 'pdx', 'iad')).toEqual({
      health: 'absent',
      subject: 'RemoteClusterConfiguration iad',
      detail: 'not configured: pdx does not read iad',
    });
    dst.put({ apiVersion: 'projectcalico.org/v3', kind: 'RemoteClusterConfiguration', metadata: { name: 'iad' } });
    expect((await federation.health(dst, 'pdx', 'iad')).detail).toBe('Secret calico-system/iad-secret is missing');
    dst.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'iad-secret', namespace: 'calico-system' } });
    typhaPod(dst, 'calico-typha-a', ['Sending in-sync update for RemoteClusterConfiguration(iad)'], { iad: 2 });
    const typha = await readTyphaSync(dst, ['iad']);
    expect(await federation.health(dst, 'pdx', 'iad', typha)).toEqual({
      health: 'ok',
      subject: 'RemoteClusterConfiguration iad',
      detail: 'in sync (calico-typha)',
      evidence:
        'calico-typha-a: remote_cluster_connection_status 2 (InSync)\n' +
        'calico-typha-a: Sending in-sync update for RemoteClusterConfiguration(iad)',
      value: 2,
    });
    metrics.set('calico-typha-a', { iad: 3 });
    const resync = await federation.health(dst, 'pdx', 'iad', await readTyphaSync(dst, ['iad']));
    expect(resync.detail).toMatch(
      /^not in sync per calico-typha: calico-typha-a reports 3 \(ReSyncInProgress\); last log line: /,
    );
    expect(resync.value).toBe(3);
  });
});

describe('federation.awaitSync', () => {
  it("gives up after its timeout with calico-typha's last lines about the remote", async () => {
    const dst = enterpriseCluster();
    typhaPod(dst, 'calico-typha-a', ['RemoteClusterConfiguration(iad): connection refused'], { iad: 1 });
    const err = await federation
      .awaitSync(fakeCtx(fakeClock()), testDeps(), dst, 'pdx', ['iad'])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect((err as Error).message).toContain('calico-typha-a: RemoteClusterConfiguration(iad): connection refused');
  });
});

describe('federation.remove', () => {
  it('deletes the RemoteClusterConfiguration first, then the Secrets and RBAC, only those with the mesh labels', async () => {
    const kube = enterpriseCluster();
    const deps = testDeps();
    for (const o of federation.sourceObjects(deps)) await kube.apply(o);
    for (const o of federation.destinationObjects(deps, 'iad', 'kubeconfig')) await kube.apply(o);
    kube.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'not-ours', namespace: 'calico-system' } });
    const gone = await federation.remove(deps, kube, async () => {});
    expect(gone[0]).toMatchObject({ kind: 'RemoteClusterConfiguration', name: 'iad' });
    expect(gone.map((g) => g.kind)).toEqual([
      'RemoteClusterConfiguration',
      'Secret',
      'Secret',
      'RoleBinding',
      'Role',
      'ServiceAccount',
      'ClusterRoleBinding',
      'ClusterRole',
    ]);
    expect(await kube.get('v1', 'Secret', 'not-ours', 'calico-system')).toBeDefined();
  });
});

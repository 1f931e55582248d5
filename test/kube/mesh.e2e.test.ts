// End to end in the sandbox: two EKS clusters built by the AWS steps, then the Kubernetes half of `/mesh up`,
// day-two scale and ping, the diagnosis of broken links, status and down. Tests run in order on one mesh.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateRouteCommand,
  DeleteRouteCommand,
  DeleteVpcPeeringConnectionCommand,
  DescribeRouteTablesCommand,
  DescribeVpcPeeringConnectionsCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { DescribeClusterCommand } from '@aws-sdk/client-eks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downKubeStep, planDownKube } from '../../jobs/down/kube.ts';
import { observeMesh } from '../../jobs/index.ts';
import { runPing } from '../../jobs/ping.ts';
import { scaleStep } from '../../jobs/scale.ts';
import { observeKube } from '../../jobs/status/kube.ts';
import { calicoReadyStep } from '../../jobs/up/kube/calico-ready.ts';
import { cniSwapStep } from '../../jobs/up/kube/cni-swap.ts';
import { meshPairStep } from '../../jobs/up/kube/mesh-pair.ts';
import { meshSyncStep } from '../../jobs/up/kube/mesh-sync.ts';
import { verifyStep } from '../../jobs/up/kube/verify.ts';
import { workloadsStep } from '../../jobs/up/kube/workloads.ts';
import type { SimClusterHost } from '../../sandbox/kube/host.ts';
import { PermanentError } from '../../src/errors.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { kubeRequest } from '../../src/kube/rest.ts';
import * as netshoot from '../../src/mesh/kube/netshoot.ts';
import { federatedEndpoints, federatedPods, podCapacity } from '../../src/mesh/kube/workloads.ts';
import { leaves, parallel, sequential } from '../../src/steps/step.ts';
import { awsPlan, type Mesh, meshIn, nodeGroupsPlan, run, runOk, startMesh } from './harness.ts';

let mesh: Mesh;
/** A one-cluster mesh on Calico Open Source, in the same sandbox. */
let oss: Mesh;

function kubeUpPlan(m: Mesh) {
  const d = m.deps;
  const [a, b] = m.spec.clusters;
  return sequential('kube', 'Kubernetes side', [
    parallel(
      'calico',
      'Calico',
      m.spec.clusters.map((c) => cniSwapStep(d, c)),
    ),
    nodeGroupsPlan(d),
    parallel(
      'ready',
      'ready',
      m.spec.clusters.map((c) => calicoReadyStep(d, c)),
    ),
    parallel('pairs', 'pairs', [meshPairStep(d, a, b), meshPairStep(d, b, a)]),
    parallel(
      'sync',
      'sync',
      m.spec.clusters.map((c) => meshSyncStep(d, c)),
    ),
    parallel(
      'workloads',
      'workloads',
      m.spec.clusters.map((c) => workloadsStep(d, c)),
    ),
    verifyStep(d),
  ]);
}

async function client(name: 'iad' | 'pdx') {
  return new KubeClient(await mesh.deps.kube.forCluster(mesh[name]));
}

async function clusterSg(name: 'iad' | 'pdx'): Promise<string> {
  const c = mesh[name];
  const out = await mesh.deps.aws
    .eks(c.region)
    .send(new DescribeClusterCommand({ name: `${mesh.spec.name}-${c.name}` }));
  return out.cluster!.resourcesVpcConfig!.clusterSecurityGroupId!;
}

beforeAll(async () => {
  mesh = await startMesh('enterprise');
  oss = meshIn(mesh.cloud, 'oss', 'open', 1);
  await Promise.all([runOk(mesh, awsPlan(mesh.deps)), runOk(oss, awsPlan(oss.deps))]);
}, 120_000);

afterAll(async () => {
  await mesh?.cloud.stop();
});

describe('the Kubernetes half of /mesh up (Calico Enterprise)', () => {
  it('swaps the CNI, waits for Calico, pairs both ways, syncs, deploys workloads and pings across', async () => {
    const out = await runOk(mesh, kubeUpPlan(mesh));
    expect(out.get('calico/iad/install')!.summary).toMatch(
      /aws-node deleted, tigera-operator v3\.23\.1 applied .*pool 192\.168\.1\.0\/24 VXLAN/,
    );
    expect(out.get('calico/pdx/ready')!.summary).toMatch(
      /2 nodes Ready, TigeraStatus calico and apiserver Available, RemoteClusterConfiguration API served.*flow logs every 15s/,
    );
    const felix = await (await client('pdx')).get<{ spec: Record<string, unknown> }>(
      'projectcalico.org/v3',
      'FelixConfiguration',
      'default',
    );
    expect(felix!.spec.flowLogsFlushInterval).toBe('15s');
    expect(out.get('mesh/iad/sync')!.excerpt).toContain('Sending in-sync update for RemoteClusterConfiguration(pdx)');
    expect(out.get('mesh/pdx/sync')!.excerpt).toContain('Sending in-sync update for RemoteClusterConfiguration(iad)');
    const matrix = out.get('verify/ping')!.excerpt!;
    expect(matrix).toMatch(/^iad\s+-\s+-\s+\d+\.\d ms\s+\d+\.\d ms$/m);
    expect(matrix).toMatch(/^pdx\s+\d+\.\d ms\s+\d+\.\d ms\s+-\s+-$/m);
    // Typha's view is real: the destination's calico-typha read the source with the kubeconfig we wrote.
    expect(await (await client('iad')).get('apps/v1', 'DaemonSet', 'aws-node', 'kube-system')).toBeUndefined();
  }, 120_000);

  it('changes nothing when run again', async () => {
    const d = mesh.deps;
    const out = await runOk(
      mesh,
      parallel('again', 'again', [
        meshPairStep(d, mesh.iad, mesh.pdx),
        meshPairStep(d, mesh.pdx, mesh.iad),
        workloadsStep(d, mesh.iad),
        workloadsStep(d, mesh.pdx),
      ]),
    );
    expect([...out.values()].map((o) => o.changed)).toEqual([false, false, false, false]);
  }, 60_000);

  it("applies the blueprint's flow-log fields to FelixConfiguration and says where flows go", async () => {
    const out = await runOk(mesh, calicoReadyStep(mesh.deps, mesh.iad));
    expect(out.get('calico/iad/ready')!.summary).toMatch(
      /flow logs every 15s \(DNS and L7 too\) to files under \/var\/log\/calico\/flowlogs on each node only: no LogStorage or LogCollector is configured/,
    );
    const felix = await (await client('iad')).get<{ spec: Record<string, unknown> }>(
      'projectcalico.org/v3',
      'FelixConfiguration',
      'default',
    );
    expect(felix!.spec).toMatchObject({
      dnsLogsFlushInterval: '15s',
      l7LogsFlushInterval: '15s',
      flowLogsFlushInterval: '15s',
      flowLogsFileAggregationKindForAllowed: 1,
      flowLogsEnableHostEndpoint: true,
      flowLogsFileEnabled: true,
    });
  }, 30_000);

  it('keeps the federation token out of logs, notes and outcomes', async () => {
    const secret = await (await client('iad')).get<{ data: { token: string } }>(
      'v1',
      'Secret',
      'tigera-federation-remote-cluster',
      'calico-system',
    );
    const token = Buffer.from(secret!.data.token, 'base64').toString();
    expect(token.length).toBeGreaterThan(20);
    const seen = mesh.logText() + mesh.notes.join('\n');
    expect(seen).not.toContain(token);
    expect(seen).not.toContain(secret!.data.token);
  });
});

describe('day two', () => {
  it('pings every pod of the other cluster side by side', async () => {
    const r = await runPing(mesh.deps, 'iad', { kind: 'all' });
    expect(r.ok).toBe(true);
    expect(r.probes.map((p) => p.target)).toEqual(['multi-cluster-rs-pdx-0.multi-cluster-rs-pdx']);
    expect(r.matrix).toMatch(
      /iad\s+pdx\s+multi-cluster-rs-pdx-0\.multi-cluster-rs-pdx\s+192\.168\.2\.\d+\s+\d+\.\d ms/,
    );
  }, 30_000);

  it('scales a StatefulSet and waits until the other cluster sees exactly the new pods', async () => {
    const up = await runOk(mesh, scaleStep(mesh.deps, mesh.iad, 3));
    expect(up.get('scale/iad')!.summary).toMatch(/scaled 1 -> 3, 3\/3 Ready; federated endpoints in pdx: 3/);
    expect(up.get('scale/iad')!.excerpt).toContain('multi-cluster-rs-iad-2.multi-cluster-rs-iad');
    expect(await federatedPods(await client('pdx'), mesh.deps, 'iad')).toEqual([
      'multi-cluster-rs-iad-0',
      'multi-cluster-rs-iad-1',
      'multi-cluster-rs-iad-2',
    ]);
    const all = await runPing(mesh.deps, 'pdx', { kind: 'all' });
    expect(all.ok).toBe(true);
    expect(all.probes).toHaveLength(3);

    const down = await runOk(mesh, scaleStep(mesh.deps, mesh.iad, 1));
    expect(down.get('scale/iad')!.summary).toMatch(/scaled 3 -> 1/);
    expect(await federatedPods(await client('pdx'), mesh.deps, 'iad')).toEqual(['multi-cluster-rs-iad-0']);
  }, 60_000);

  it('warns with numbers when the replicas exceed what the nodes hold, ', async () => {
    const cap = await podCapacity(await client('pdx'), 'multi-cluster-rs-pdx');
    expect(cap.nodes).toBe(2);
    const tooMany = cap.room + 2;
    const roomy = { ...mesh.deps, spec: { ...mesh.spec, workloads: { ...mesh.spec.workloads, maxReplicas: 1000 } } };
    const r = await run(mesh, scaleStep(roomy, mesh.pdx, tooMany, { readyTimeoutMs: 3_000 }));
    expect(r.ok).toBe(false);
    const message = (r.error as Error).message;
    expect(message).toContain(
      `${tooMany} replicas exceed what the node group holds now: 2 nodes x ${cap.allocatablePods / 2} allocatable pods = ${cap.allocatablePods}, ${cap.otherPods} taken by other pods, room for ${cap.room}`,
    );
    await runOk(mesh, scaleStep(mesh.deps, mesh.pdx, 1));
  }, 60_000);

  it("reports each cluster's Kubernetes side as status lines", async () => {
    const lines = await observeKube(mesh.deps, mesh.iad);
    const by = (s: string) => lines.find((l) => l.subject === s);
    expect(by('nodes')).toMatchObject({ health: 'ok', detail: '2/2 Ready' });
    expect(by('TigeraStatus calico')).toMatchObject({ health: 'ok' });
    expect(by('RemoteClusterConfiguration pdx')).toMatchObject({ health: 'ok', detail: 'in sync (calico-typha)' });
    expect(by('federated Service multi-cluster-rs-pdx')).toMatchObject({ health: 'ok' });
    expect(by('pod netshoot')).toMatchObject({ health: 'ok' });
  }, 20_000);

  it('a pass of the watch (and of status) pings each ordered pair once: its lines and its gauges read the same pings', async () => {
    const pings = () => mesh.cloud.kube!.clusters().reduce((n, c) => n + (c.execCount?.('ping') ?? 0), 0);
    const before = pings();
    const pass = await observeMesh(mesh.deps);
    // Two ordered pairs; each is one ping of small packets and one full-MTU packet (pingFrom).
    expect(pings() - before).toBe(4);
    const lines = pass.clusters.flatMap((c) =>
      c.kube.filter((l) => l.subject.startsWith('ping to ')).map((l) => [c.cluster, l.subject, l.health, l.detail]),
    );
    expect(lines).toEqual([
      [
        'iad',
        'ping to pdx',
        'ok',
        expect.stringMatching(/^multi-cluster-rs-pdx-0\.multi-cluster-rs-pdx answers, also/),
      ],
      [
        'pdx',
        'ping to iad',
        'ok',
        expect.stringMatching(/^multi-cluster-rs-iad-0\.multi-cluster-rs-iad answers, also/),
      ],
    ]);
    expect(pass.health?.paths.map((p) => [p.from, p.to, p.packetLoss, p.failure])).toEqual([
      ['iad', 'pdx', 0, undefined],
      ['pdx', 'iad', 0, undefined],
    ]);
    for (const p of pass.health?.paths ?? []) expect(p.rttSeconds).toBeGreaterThan(0);
  }, 30_000);
});

describe('sync, as Typha reports it on every replica', () => {
  async function annotateTypha(pod: string, value: string | null) {
    const kc = await mesh.deps.kube.forCluster(mesh.iad);
    await kubeRequest(kc, {
      method: 'PATCH',
      path: `/api/v1/namespaces/calico-system/pods/${pod}`,
      body: { metadata: { annotations: { 'sandbox.meshops.io/remote-sync': value } } },
      contentType: 'application/merge-patch+json',
    });
  }
  const rccLine = async () =>
    (await observeKube(mesh.deps, mesh.iad)).find((l) => l.subject === 'RemoteClusterConfiguration pdx');

  it('reads a rotated log as in sync, and reports a replica that is out of sync in status and in the ping diagnosis', async () => {
    const typhas = (
      await (
        await client('iad')
      ).list<{ metadata: { name: string } }>('v1', 'Pod', {
        namespace: 'calico-system',
        labelSelector: 'k8s-app=calico-typha',
      })
    )
      .map((p) => p.metadata.name)
      .sort();
    expect(typhas).toHaveLength(2);
    const sim = (mesh.cloud.host as SimClusterHost).find(mesh.iad.region, `${mesh.spec.name}-${mesh.iad.name}`)!;
    for (const t of typhas) sim.logs.rotate('calico-system', t);
    expect(await rccLine()).toMatchObject({ health: 'ok', detail: 'in sync (calico-typha)' });

    const [a, b] = typhas;
    try {
      await annotateTypha(b, 'broken');
      const one = await rccLine();
      expect(one).toMatchObject({ health: 'failing' });
      expect(one!.detail).toBe(`not in sync per calico-typha: ${b} reports 1 (Connecting)`);

      // With every replica out of sync no Felix has routes to pdx's pods: the ping fails and says why.
      await annotateTypha(a, 'broken');
      const r = await runPing(mesh.deps, 'iad', { kind: 'service', cluster: 'pdx' });
      expect(r.ok).toBe(false);
      const d = r.diagnoses[0].diagnosis;
      expect(d.broken?.link).toBe('federation sync');
      expect(d.broken?.detail).toContain(
        `calico-typha in iad is not in sync with pdx: ${a} reports 1 (Connecting); ${b} reports 1 (Connecting)`,
      );
    } finally {
      await annotateTypha(a, null);
      await annotateTypha(b, null);
    }
    expect(await rccLine()).toMatchObject({ health: 'ok' });
    expect((await runPing(mesh.deps, 'iad', { kind: 'service', cluster: 'pdx' })).ok).toBe(true);
  }, 60_000);
});

describe("Docker Hub's anonymous pull limit", () => {
  it('does not stop the workloads, which pull from public ECR and ghcr.io; a Docker Hub image would stay in ImagePullBackOff', async () => {
    const kc = await mesh.deps.kube.forCluster(mesh.iad);
    const iad = await client('iad');
    const nodes = (await iad.list<{ metadata: { name: string } }>('v1', 'Node')).map((n) => n.metadata.name);
    const limit = (value: string | null) =>
      Promise.all(
        nodes.map((n) =>
          kubeRequest(kc, {
            method: 'PATCH',
            path: `/api/v1/nodes/${n}`,
            body: { metadata: { annotations: { 'sandbox.meshops.io/docker-hub': value } } },
            contentType: 'application/merge-patch+json',
          }),
        ),
      );
    const netshootLine = async () => (await observeKube(mesh.deps, mesh.iad)).find((l) => l.subject === 'pod netshoot');
    const waitGone = async () => {
      for (let i = 0; (await iad.get('v1', 'Pod', 'netshoot', 'default')) && i < 100; i++)
        await new Promise((r) => setTimeout(r, 100));
    };
    await limit('rate-limited');
    try {
      await iad.delete('v1', 'Pod', 'netshoot', 'default');
      await waitGone();
      const out = await runOk(mesh, workloadsStep(mesh.deps, mesh.iad));
      expect(out.get('workloads/iad')!.summary).toContain('netshoot Ready');

      // The blueprint's nicolaka/netshoot from Docker Hub, on the same nodes.
      await iad.delete('v1', 'Pod', 'netshoot', 'default');
      await waitGone();
      const hub = {
        ...mesh.deps,
        spec: { ...mesh.spec, workloads: { ...mesh.spec.workloads, netshootImage: 'nicolaka/netshoot:v0.13' } },
      };
      for (const o of netshoot.objects(hub)) await iad.apply(o);
      let line = await netshootLine();
      for (let i = 0; !line?.detail.includes('ImagePullBackOff') && i < 100; i++) {
        await new Promise((r) => setTimeout(r, 100));
        line = await netshootLine();
      }
      expect(line).toMatchObject({ health: 'warning' });
      expect(line!.detail).toMatch(
        /^not Ready \(Pending: ImagePullBackOff: Back-off pulling image "nicolaka\/netshoot:v0\.13": toomanyrequests/,
      );
    } finally {
      await limit(null);
      await iad.delete('v1', 'Pod', 'netshoot', 'default');
      await waitGone();
    }
    await runOk(mesh, workloadsStep(mesh.deps, mesh.iad));
  }, 60_000);
});

describe('ping says which link is broken', () => {
  const ec2 = (name: 'iad' | 'pdx') => mesh.deps.aws.ec2(mesh[name].region);

  async function privateTables(name: 'iad' | 'pdx') {
    const out = await ec2(name).send(
      new DescribeRouteTablesCommand({
        Filters: [
          { Name: 'tag:meshops:mesh', Values: [mesh.spec.name] },
          { Name: 'tag:meshops:cluster', Values: [name] },
          { Name: 'tag:meshops:component', Values: ['rtb-private'] },
        ],
      }),
    );
    return out.RouteTables!;
  }

  it('sends one full-MTU packet with fragmentation forbidden, and names the MTU when an Installation lost it', async () => {
    for (const name of ['iad', 'pdx'] as const) {
      const inst = await (await client(name)).get<{ spec: { calicoNetwork: { mtu?: number } } }>(
        'operator.tigera.io/v1',
        'Installation',
        'default',
      );
      expect(inst!.spec.calicoNetwork.mtu).toBe(8450);
    }
    const fine = await runPing(mesh.deps, 'iad', { kind: 'service', cluster: 'pdx' });
    expect(fine.ok).toBe(true);
    expect(fine.probes[0].output).toMatch(
      /^PING multi-cluster-rs-pdx \(192\.168\.2\.\d+\) 8422\(8450\) bytes of data\.$/m,
    );

    // A cluster set up without the MTU: Calico falls back to 8951, which a cross-Region peering cannot carry.
    const kc = await mesh.deps.kube.forCluster(mesh.iad);
    await kubeRequest(kc, {
      method: 'PATCH',
      path: '/apis/operator.tigera.io/v1/installations/default',
      body: { spec: { calicoNetwork: { mtu: null } } },
      contentType: 'application/merge-patch+json',
    });
    const r = await runPing(mesh.deps, 'iad', { kind: 'service', cluster: 'pdx' });
    expect(r.ok).toBe(false);
    expect(r.probes[0].result).toMatchObject({ failure: 'mtu', mtu: 8951 });
    expect(r.matrix).toContain('FAIL: 8951-byte packet lost (MTU)');
    const d = r.diagnoses[0].diagnosis;
    expect(d.broken?.link).toBe('MTU in iad');
    expect(d.broken?.detail).toMatch(
      /^pod MTU 8951, auto-detected .*9001 bytes, more than the 8500 an inter-Region VPC peering carries/,
    );
    const status = await observeKube(mesh.deps, mesh.iad);
    expect(status.find((l) => l.subject === 'Calico MTU')).toMatchObject({ health: 'warning' });
    expect(status.find((l) => l.subject === 'ping to pdx')).toMatchObject({ health: 'failing' });

    // `/mesh up` puts it back.
    await runOk(mesh, cniSwapStep(mesh.deps, mesh.iad));
    expect((await runPing(mesh.deps, 'iad', { kind: 'service', cluster: 'pdx' })).ok).toBe(true);
    expect((await observeKube(mesh.deps, mesh.iad)).find((l) => l.subject === 'ping to pdx')).toMatchObject({
      health: 'ok',
    });
  }, 60_000);

  it('says "federated endpoints carry no hostname" when a pod name stops resolving for that reason', async () => {
    const kc = await mesh.deps.kube.forCluster(mesh.iad);
    const switchHostnames = (value: string | null) =>
      kubeRequest(kc, {
        method: 'PATCH',
        path: '/api/v1/namespaces/default/services/multi-cluster-rs-pdx',
        body: { metadata: { annotations: { 'sandbox.meshops.io/federated-hostnames': value } } },
        contentType: 'application/merge-patch+json',
      });
    const iad = await client('iad');
    const hostnames = async () => (await federatedEndpoints(iad, mesh.deps, 'pdx')).map((e) => e.hostname ?? '-');
    await switchHostnames('omit');
    try {
      for (let i = 0; (await hostnames()).some((h) => h !== '-') && i < 100; i++)
        await new Promise((res) => setTimeout(res, 100));
      const r = await runPing(mesh.deps, 'iad', { kind: 'pod', cluster: 'pdx', ordinal: 0 });
      expect(r.ok).toBe(false);
      expect(r.probes[0].result.failure).toBe('resolve');
      const d = r.diagnoses[0].diagnosis;
      expect(d.broken?.link).toBe('federated endpoint hostname');
      expect(d.broken?.detail).toMatch(
        /^federated endpoints carry no hostname: multi-cluster-rs-pdx in iad lists pdx\/multi-cluster-rs-pdx-0 \(192\.168\.2\.\d+\) without hostname multi-cluster-rs-pdx-0/,
      );
      // The service name still answers.
      expect((await runPing(mesh.deps, 'iad', { kind: 'service', cluster: 'pdx' })).ok).toBe(true);
    } finally {
      await switchHostnames(null);
    }
    for (let i = 0; (await hostnames()).includes('-') && i < 100; i++) await new Promise((res) => setTimeout(res, 100));
    expect((await runPing(mesh.deps, 'iad', { kind: 'pod', cluster: 'pdx', ordinal: 0 })).ok).toBe(true);
  }, 60_000);

  it('names the route tables that lost the route to the peer VPC', async () => {
    const tables = await privateTables('iad');
    expect(tables.length).toBeGreaterThan(0);
    const pcx = tables[0].Routes!.find((r) => r.DestinationCidrBlock === '10.1.0.0/16')!.VpcPeeringConnectionId!;
    for (const t of tables)
      await ec2('iad').send(
        new DeleteRouteCommand({ RouteTableId: t.RouteTableId, DestinationCidrBlock: '10.1.0.0/16' }),
      );
    try {
      const r = await runPing(mesh.deps, 'iad', { kind: 'service', cluster: 'pdx' });
      expect(r.ok).toBe(false);
      const d = r.diagnoses[0].diagnosis;
      expect(d.broken?.link).toBe('routes iad -> pdx');
      for (const t of tables) expect(d.broken?.detail).toContain(t.RouteTableId!);
      expect(d.text).toMatch(
        /^ping multi-cluster-rs-pdx from iad fails at: routes iad -> pdx: no route to 10\.1\.0\.0\/16/,
      );
    } finally {
      for (const t of tables)
        await ec2('iad').send(
          new CreateRouteCommand({
            RouteTableId: t.RouteTableId,
            DestinationCidrBlock: '10.1.0.0/16',
            VpcPeeringConnectionId: pcx,
          }),
        );
    }
    expect((await runPing(mesh.deps, 'iad', { kind: 'service', cluster: 'pdx' })).ok).toBe(true);
  }, 30_000);

  it('names the security group that lost the VXLAN rule', async () => {
    const sg = await clusterSg('pdx');
    const rule = { IpProtocol: 'udp', FromPort: 4789, ToPort: 4789, IpRanges: [{ CidrIp: '10.0.0.0/16' }] };
    await ec2('pdx').send(new RevokeSecurityGroupIngressCommand({ GroupId: sg, IpPermissions: [rule] }));
    try {
      const r = await runPing(mesh.deps, 'iad', { kind: 'pod', cluster: 'pdx', ordinal: 0 });
      expect(r.ok).toBe(false);
      expect(r.diagnoses[0].diagnosis.broken).toEqual({
        ok: false,
        link: 'VXLAN into pdx',
        detail: `security group ${sg} (pdx, us-west-2) has no inbound rule for UDP 4789 from 10.0.0.0/16`,
      });
    } finally {
      await ec2('pdx').send(new AuthorizeSecurityGroupIngressCommand({ GroupId: sg, IpPermissions: [rule] }));
    }
  }, 30_000);

  it('names the missing remote cluster secret when the name stops resolving', async () => {
    const iad = await client('iad');
    expect(await iad.delete('v1', 'Secret', 'pdx-secret', 'calico-system')).toBe(true);
    // The federation controller lets go of pdx's endpoints shortly after; then the name stops resolving.
    for (let i = 0; (await federatedPods(iad, mesh.deps, 'pdx')).length > 0 && i < 100; i++)
      await new Promise((res) => setTimeout(res, 100));
    const r = await runPing(mesh.deps, 'iad', { kind: 'service', cluster: 'pdx' });
    expect(r.ok).toBe(false);
    expect(r.probes[0].result.failure).toBe('resolve');
    const d = r.diagnoses[0].diagnosis;
    expect(d.broken?.link).toBe('remote cluster secret');
    expect(d.broken?.detail).toBe(
      'Secret calico-system/pdx-secret is missing in iad: RemoteClusterConfiguration pdx has no credentials for pdx',
    );
    const status = await observeKube(mesh.deps, mesh.iad);
    expect(status.find((l) => l.subject === 'RemoteClusterConfiguration pdx')).toMatchObject({ health: 'failing' });

    // Running the pair step again repairs it.
    await runOk(
      mesh,
      sequential('repair', 'repair', [meshPairStep(mesh.deps, mesh.pdx, mesh.iad), meshSyncStep(mesh.deps, mesh.iad)]),
    );
    await runOk(mesh, verifyStep(mesh.deps));
  }, 90_000);

  it('says the peering is gone', async () => {
    const pcxs = await ec2('iad').send(
      new DescribeVpcPeeringConnectionsCommand({ Filters: [{ Name: 'status-code', Values: ['active'] }] }),
    );
    const pcx = pcxs.VpcPeeringConnections!.find((p) =>
      p.Tags?.some((t) => t.Key === 'meshops:mesh' && t.Value === mesh.spec.name),
    )!;
    await ec2('iad').send(
      new DeleteVpcPeeringConnectionCommand({ VpcPeeringConnectionId: pcx.VpcPeeringConnectionId }),
    );
    const r = await runPing(mesh.deps, 'pdx', { kind: 'service', cluster: 'iad' });
    expect(r.ok).toBe(false);
    const d = r.diagnoses[0].diagnosis;
    expect(d.broken?.link).toBe('peering');
    expect(d.broken?.detail).toContain(`${pcx.VpcPeeringConnectionId} is deleted`);
  }, 30_000);
});

describe('/mesh down, Kubernetes part', () => {
  it('deletes what meshops made in each cluster by label, and finds nothing the second time', async () => {
    const first = await runOk(mesh, await planDownKube(mesh.deps));
    expect(first.get('down/iad/kube')!.summary).toMatch(/^iad: deleted .*1 RemoteClusterConfiguration.*1 StatefulSet/);
    const iad = await client('iad');
    expect(await iad.list('projectcalico.org/v3', 'RemoteClusterConfiguration')).toEqual([]);
    expect(await iad.get('v1', 'Pod', 'netshoot', 'default')).toBeUndefined();
    expect(await iad.get('v1', 'Secret', 'pdx-secret', 'calico-system')).toBeUndefined();
    const again = await runOk(mesh, await planDownKube(mesh.deps));
    expect([...again.values()].map((o) => o.summary)).toEqual([
      'iad: nothing of meshops left',
      'pdx: nothing of meshops left',
    ]);
  }, 60_000);

  it('plans no step for a cluster that does not exist (any more)', async () => {
    const ghost = { ...mesh.pdx, name: 'ghost' };
    const plan = await planDownKube({ ...mesh.deps, spec: { ...mesh.spec, clusters: [mesh.iad, ghost] } });
    expect(leaves(plan).map((l) => l.id)).toEqual(['down/iad/kube']);
  }, 30_000);

  it('a cluster that finishes DELETING between the plan and its step has nothing left to clean', async () => {
    // The step of a cluster the plan saw, run once EKS no longer knows it (a down after a cancelled down).
    const ghost = { ...mesh.pdx, name: 'ghost' };
    const deps = { ...mesh.deps, spec: { ...mesh.spec, clusters: [mesh.iad, ghost] } };
    const ran = await runOk(mesh, downKubeStep(deps, ghost));
    expect(ran.get('down/ghost/kube')!.summary).toBe('ghost: the EKS cluster is gone, and what was in it');
  }, 30_000);
});

describe('Calico Open Source', () => {
  it('installs, and then says plainly that Cluster Mesh needs Calico Enterprise or Calico Cloud', async () => {
    // The mesh above is done with: stop its stand-ins so this cluster has the sandbox to itself.
    for (const c of mesh.spec.clusters) await mesh.cloud.host.stopCluster(c.region, `${mesh.spec.name}-${c.name}`);
    const c = oss.spec.clusters[0];
    await runOk(oss, sequential('oss', 'oss', [cniSwapStep(oss.deps, c), nodeGroupsPlan(oss.deps)]));
    const r = await run(oss, calicoReadyStep(oss.deps, c));
    expect(r.ok).toBe(false);
    const err = r.error as PermanentError;
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.code).toBe('ClusterMeshUnsupported');
    expect(err.message).toBe(
      'Cluster Mesh needs Calico Enterprise or Calico Cloud: cluster iad runs Calico Open Source, so it has no RemoteClusterConfiguration resource and cannot join a mesh',
    );
    expect(err.hint).toMatch(
      /calico\.variant: enterprise.*CALICO_LICENSE_FILE.*CALICO_PULL_SECRET_FILE.*calico\.variant: cloud/,
    );
  }, 60_000);
});

describe('Calico Cloud', () => {
  it('applies the installer, then what the join URL returns for the bearer of the token', async () => {
    const seen: Array<{ path: string; auth?: string }> = [];
    const server = createServer((req, res) => {
      seen.push({ path: req.url ?? '', auth: req.headers.authorization });
      if (req.url === '/installer.yaml')
        return res.end('apiVersion: v1\nkind: Namespace\nmetadata:\n  name: calico-cloud\n');
      if (req.url === '/join' && req.headers.authorization === 'Bearer join-token-123') {
        return res.end(
          'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cluster-join\n  namespace: calico-cloud\ndata:\n  cluster: open-iad\n',
        );
      }
      res.statusCode = 401;
      res.end('unauthorized');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const c = oss.spec.clusters[0];
      const cloudSpec = { ...oss.spec, calico: { ...oss.spec.calico, variant: 'cloud' as const } };
      const missing = await run(oss, cniSwapStep({ ...oss.deps, spec: cloudSpec }, c));
      expect((missing.error as PermanentError).code).toBe('CalicoCloudConfigMissing');

      const calico = {
        cloudInstallerUrl: `${base}/installer.yaml`,
        cloudJoinUrl: `${base}/join`,
        cloudTokens: { iad: 'join-token-123' },
      };
      await runOk(oss, cniSwapStep({ ...oss.deps, spec: cloudSpec, calico }, c));
      expect(seen.map((s) => s.path)).toEqual(['/installer.yaml', '/join']);
      const k = new KubeClient(await oss.deps.kube.forCluster(c));
      expect(await k.get('v1', 'ConfigMap', 'cluster-join', 'calico-cloud')).toMatchObject({
        data: { cluster: 'open-iad' },
      });
      expect(oss.logText()).not.toContain('join-token-123');
    } finally {
      await new Promise((r) => server.close(r));
    }
  }, 60_000);
});

describe('Calico Cloud joins a cluster that runs Calico Open Source', () => {
  it('keeps the Calico variant, applies the join, waits until the installer is complete and the variant changed, then finds the Cluster Mesh API', async () => {
    // Calico Cloud's installer and join URLs, as the sandbox serves them, and the join generated for open-iad.
    const service = mesh.cloud.calicoCloud;
    const joinsBefore = service.joins();
    const c = oss.spec.clusters[0];
    const cloudSpec = { ...oss.spec, calico: { ...oss.spec.calico, variant: 'cloud' as const } };
    const calico = {
      cloudInstallerUrl: service.installerUrl,
      cloudJoinUrl: service.joinUrl,
      cloudTokens: { iad: service.connectCluster(`${oss.spec.name}-${c.name}`) },
    };
    const d = { ...oss.deps, spec: cloudSpec, calico };
    await runOk(oss, cniSwapStep(d, c));
    const out = await runOk(oss, calicoReadyStep(d, c));
    expect(out.get('calico/iad/ready')!.summary).toMatch(
      /RemoteClusterConfiguration API served, connected to Calico Cloud as open-iad \(installer complete, Installation upgraded to TigeraSecureEnterprise, management-cluster-connection Available, guardian to sandbox-org\.tigera\.io:9000\)/,
    );
    const k = new KubeClient(await oss.deps.kube.forCluster(c));
    const inst = await k.get<{ spec: { variant?: string } }>('operator.tigera.io/v1', 'Installation', 'default');
    expect(inst!.spec.variant).toBe('TigeraSecureEnterprise');
    expect(await k.get('operator.calicocloud.io/v1', 'Installer', 'default', 'calico-cloud')).toMatchObject({
      status: { state: 'complete', clusterName: `${oss.spec.name}-${c.name}` },
    });
    expect(service.joins()).toBe(joinsBefore + 1);
  }, 90_000);
});

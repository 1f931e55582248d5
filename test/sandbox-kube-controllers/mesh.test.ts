import { request as httpsRequest } from 'node:https';
import {
  CreateRouteCommand,
  DeleteRouteCommand,
  DeleteVpcPeeringConnectionCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../sandbox/aws/free-port.ts';
import { type MotoServer, startMoto } from '../../sandbox/aws/moto.ts';
import type { ControllerEnv } from '../../sandbox/contracts.ts';
import { remoteSyncPolls } from '../../sandbox/kube/controllers/federation.ts';
import type { SimClusterHost } from '../../sandbox/kube/host.ts';
import { explainPing, NetworkExec } from '../../sandbox/kube/network/index.ts';
import { ec2, tinyProfile, waitFor } from './harness.ts';
import {
  accessSecret,
  bindFederationRole,
  connectVpcs,
  enterpriseCluster,
  federationToken,
  kubeconfigFor,
  type MeshCluster,
  remoteClusterConfiguration,
  startHost,
  typhaLog,
  typhaSecretAccess,
  vxlanRule,
} from './mesh-setup.ts';

let moto: MotoServer;
let host: SimClusterHost;
let iad: MeshCluster; // the source: its pods are federated into pdx
let pdx: MeshCluster; // the destination: its Typha syncs iad

beforeAll(async () => {
  moto = await startMoto();
  host = await startHost(moto.endpoint);
  [iad, pdx] = await Promise.all([
    enterpriseCluster(host, moto.endpoint, 'iad', 'us-east-1', '10.0.0.0/16', '192.168.1.0/24'),
    enterpriseCluster(host, moto.endpoint, 'pdx', 'us-west-2', '10.1.0.0/16', '192.168.2.0/24'),
  ]);
}, 60_000);

afterAll(async () => {
  await host?.stopAll();
  await moto?.stop();
});

const inSyncLine = 'Sending in-sync update for RemoteClusterConfiguration(iad)';

/** Typha's log from now on. */
function logSince(c: MeshCluster): () => string {
  const before = typhaLog(c).length;
  return () => typhaLog(c).slice(before);
}

function dstStore() {
  return pdx.handle.store;
}

function resetDestination(): void {
  const s = dstStore();
  for (const [g, k, ns, n] of [
    ['projectcalico.org', 'RemoteClusterConfiguration', undefined, 'iad'],
    ['', 'Secret', 'calico-system', 'iad-secret'],
    ['', 'Secret', 'kube-system', 'iad-secret'],
    ['rbac.authorization.k8s.io', 'Role', 'calico-system', 'remote-cluster-secret-access'],
    ['rbac.authorization.k8s.io', 'RoleBinding', 'calico-system', 'remote-cluster-secret-access'],
  ] as const) {
    if (s.get(g, k, ns, n)) s.delete(g, k, ns, n);
  }
}

/** Waits until pdx's Typha has polled iad `n` more times: each poll is a chance to sync. */
async function morePolls(n: number): Promise<void> {
  const from = remoteSyncPolls(pdx.handle.endpoint, 'iad');
  await waitFor(`${n} more polls of iad`, () => remoteSyncPolls(pdx.handle.endpoint, 'iad') >= from + n, 5_000);
}

async function expectNoSync(since: () => string, reason: RegExp): Promise<void> {
  await waitFor(`typha to log ${reason}`, () => reason.test(since()), 5_000);
  // Polls enough to have synced (one poll per federationSyncMs, and in sync one federationSyncMs after the first
  // good one): still not in sync.
  await morePolls(4);
  expect(since()).not.toContain(inSyncLine);
}

async function expectSync(since: () => string): Promise<void> {
  await waitFor('in-sync line', () => since().includes(inSyncLine), 5_000);
}

describe('federation: Typha syncs a RemoteClusterConfiguration only when every precondition holds', () => {
  it('syncs with a complete setup, logging the in-sync line in calico-typha', async () => {
    resetDestination();
    const token = await federationToken(iad);
    const since = logSince(pdx);
    const s = dstStore();
    s.create(
      accessSecret('iad-secret', 'calico-system', {
        datastoreType: 'kubernetes',
        kubeconfig: kubeconfigFor(iad, token),
      }),
    );
    for (const o of typhaSecretAccess(pdx)) s.create(o);
    s.create(remoteClusterConfiguration('iad', 'iad-secret'));
    await expectSync(since);
    expect(since()).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \[INFO\]\[\d+\] typha\/daemon\.go \d+: Sending in-sync update for RemoteClusterConfiguration\(iad\)$/m,
    );
  });

  it('does not sync while the Secret is in another namespace than the RemoteClusterConfiguration says', async () => {
    resetDestination();
    const token = await federationToken(iad);
    const since = logSince(pdx);
    const s = dstStore();
    s.create(
      accessSecret('iad-secret', 'kube-system', { datastoreType: 'kubernetes', kubeconfig: kubeconfigFor(iad, token) }),
    );
    for (const o of typhaSecretAccess(pdx)) s.create(o);
    s.create(remoteClusterConfiguration('iad', 'iad-secret', 'calico-system'));
    await expectNoSync(since, /secrets "iad-secret" not found in namespace "calico-system"/);
    s.create(
      accessSecret('iad-secret', 'calico-system', {
        datastoreType: 'kubernetes',
        kubeconfig: kubeconfigFor(iad, token),
      }),
    );
    await expectSync(since);
  });

  it('does not sync while the Secret lacks the datastoreType key', async () => {
    resetDestination();
    const token = await federationToken(iad);
    const since = logSince(pdx);
    const s = dstStore();
    s.create(accessSecret('iad-secret', 'calico-system', { kubeconfig: kubeconfigFor(iad, token) }));
    for (const o of typhaSecretAccess(pdx)) s.create(o);
    s.create(remoteClusterConfiguration('iad', 'iad-secret'));
    await expectNoSync(since, /has no key "datastoreType"/);
    s.mutate('', 'Secret', 'calico-system', 'iad-secret', (o) => {
      (o.data as Record<string, string>).datastoreType = Buffer.from('kubernetes').toString('base64');
    });
    await expectSync(since);
  });

  it('does not sync while calico-typha may not read the Secret', async () => {
    resetDestination();
    const token = await federationToken(iad);
    const since = logSince(pdx);
    const s = dstStore();
    s.create(
      accessSecret('iad-secret', 'calico-system', {
        datastoreType: 'kubernetes',
        kubeconfig: kubeconfigFor(iad, token),
      }),
    );
    s.create(remoteClusterConfiguration('iad', 'iad-secret'));
    await expectNoSync(
      since,
      /User "system:serviceaccount:calico-system:calico-typha" cannot get resource "secrets" in API group "" in the namespace "calico-system"/,
    );
    for (const o of typhaSecretAccess(pdx)) s.create(o);
    await expectSync(since);
  });

  it('does not sync while the token has no rights in the source cluster', async () => {
    resetDestination();
    const s = dstStore();
    const src = iad.handle.store;
    src.delete('rbac.authorization.k8s.io', 'ClusterRoleBinding', undefined, 'tigera-federation-remote-cluster');
    const token = await federationToken(iad, { bind: false });
    const since = logSince(pdx);
    s.create(
      accessSecret('iad-secret', 'calico-system', {
        datastoreType: 'kubernetes',
        kubeconfig: kubeconfigFor(iad, token),
      }),
    );
    for (const o of typhaSecretAccess(pdx)) s.create(o);
    s.create(remoteClusterConfiguration('iad', 'iad-secret'));
    await expectNoSync(since, /failed to list namespaces: .*forbidden/);
    bindFederationRole(iad);
    await expectSync(since);
  });

  it('does not sync with a token the source does not know', async () => {
    resetDestination();
    const s = dstStore();
    const since = logSince(pdx);
    s.create(
      accessSecret('iad-secret', 'calico-system', {
        datastoreType: 'kubernetes',
        kubeconfig: kubeconfigFor(iad, 'eyJhbGciOiJSUzI1NiJ9.e30.bogus'),
      }),
    );
    for (const o of typhaSecretAccess(pdx)) s.create(o);
    s.create(remoteClusterConfiguration('iad', 'iad-secret'));
    await expectNoSync(since, /failed to list namespaces: Unauthorized/);
    const token = await federationToken(iad);
    s.mutate('', 'Secret', 'calico-system', 'iad-secret', (o) => {
      (o.data as Record<string, string>).kubeconfig = Buffer.from(kubeconfigFor(iad, token)).toString('base64');
    });
    await expectSync(since);
  });

  it('does not sync while the kubeconfig names a server that does not answer', async () => {
    resetDestination();
    const token = await federationToken(iad);
    const s = dstStore();
    const since = logSince(pdx);
    const closed = `https://127.0.0.1:${await freePort()}`;
    s.create(
      accessSecret('iad-secret', 'calico-system', {
        datastoreType: 'kubernetes',
        kubeconfig: kubeconfigFor(iad, token, closed),
      }),
    );
    for (const o of typhaSecretAccess(pdx)) s.create(o);
    s.create(remoteClusterConfiguration('iad', 'iad-secret'));
    await expectNoSync(since, /connect: connection refused/);
    s.mutate('', 'Secret', 'calico-system', 'iad-secret', (o) => {
      (o.data as Record<string, string>).kubeconfig = Buffer.from(kubeconfigFor(iad, token)).toString('base64');
    });
    await expectSync(since);
  });
});

describe('federated services', () => {
  it('gathers endpoints from matching Services here and in the synced remote, with <cluster>/<pod> names and hostnames', async () => {
    // Federation in sync from the previous state of the destination.
    await waitFor('in sync', () => typhaLog(pdx).includes(inSyncLine));
    const headless = (name: string, cluster: string) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: 'default', labels: { run: 'nginx', cluster } },
      spec: {
        clusterIP: 'None',
        selector: { app: name },
        ports: [
          { name: 'http', port: 80, protocol: 'TCP' },
          { name: 'metrics', port: 9113, protocol: 'TCP' },
        ],
      },
    });
    const sts = (name: string) => ({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name, namespace: 'default' },
      spec: {
        replicas: 2,
        serviceName: name,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }] },
        },
      },
    });
    iad.handle.store.create(headless('nginx-iad', 'iad'));
    iad.handle.store.create(sts('nginx-iad'));
    pdx.handle.store.create(headless('nginx-pdx', 'pdx'));
    pdx.handle.store.create(sts('nginx-pdx'));
    pdx.handle.store.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'nginx-federated',
        namespace: 'default',
        annotations: { 'federation.tigera.io/serviceSelector': "run == 'nginx' && cluster == 'iad'" },
      },
      spec: { clusterIP: 'None', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
    });
    const subsets = await waitFor(
      'federated endpoints from iad',
      () => {
        const ep = pdx.handle.store.get('', 'Endpoints', 'default', 'nginx-federated');
        const subs = ep?.subsets as
          | Array<{
              addresses?: Array<{ ip: string; hostname?: string; targetRef?: { name: string } }>;
              ports: Array<{ name: string }>;
            }>
          | undefined;
        const n = (subs ?? []).reduce((sum, s) => sum + (s.addresses?.length ?? 0), 0);
        return n === 2 && subs;
      },
      10_000,
    );
    const addresses = subsets.flatMap((s) => s.addresses ?? []);
    expect(addresses.map((a) => a.targetRef?.name).sort()).toEqual(['iad/nginx-iad-0', 'iad/nginx-iad-1']);
    expect(addresses.map((a) => a.hostname).sort()).toEqual(['nginx-iad-0', 'nginx-iad-1']);
    expect(addresses.every((a) => a.ip.startsWith('192.168.1.'))).toBe(true);
    // Only the port whose name and protocol match the federated Service's.
    expect(subsets.flatMap((s) => s.ports.map((p) => p.name))).toEqual(['http']);

    // Remote pods leaving are seen: scale the source down.
    iad.handle.store.mutate('apps', 'StatefulSet', 'default', 'nginx-iad', (o) => {
      (o.spec as { replicas: number }).replicas = 1;
    });
    await waitFor(
      'remote scale-down seen',
      () => {
        const subs = pdx.handle.store.get('', 'Endpoints', 'default', 'nginx-federated')?.subsets as
          | Array<{ addresses?: Array<{ targetRef?: { name: string } }> }>
          | undefined;
        const names = (subs ?? []).flatMap((s) => s.addresses ?? []).map((a) => a.targetRef?.name);
        return names.length === 1 && names[0] === 'iad/nginx-iad-0';
      },
      10_000,
    );
  });

  it('mirrors federated Endpoints into EndpointSlices, and can be switched to federate endpoints without hostnames', async () => {
    type Slice = {
      metadata: { labels?: Record<string, string> };
      endpoints?: Array<{
        addresses: string[];
        hostname?: string;
        targetRef?: { name: string };
        conditions?: { ready?: boolean };
      }>;
    };
    const slices = () =>
      (pdx.handle.store.list('discovery.k8s.io', 'EndpointSlice', 'default') as unknown as Slice[]).filter(
        (x) => x.metadata.labels?.['kubernetes.io/service-name'] === 'nginx-federated',
      );
    const mirrored = await waitFor(
      'EndpointSlice of nginx-federated',
      () => {
        const eps = slices().flatMap((x) => x.endpoints ?? []);
        return eps.length === 1 && slices();
      },
      10_000,
    );
    expect(mirrored[0].metadata.labels?.['endpointslice.kubernetes.io/managed-by']).toBe(
      'endpointslicemirroring-controller.k8s.io',
    );
    expect(mirrored[0].endpoints).toMatchObject([
      { hostname: 'nginx-iad-0', targetRef: { name: 'iad/nginx-iad-0' }, conditions: { ready: true } },
    ]);

    pdx.handle.store.mutate('', 'Service', 'default', 'nginx-federated', (o) => {
      o.metadata.annotations = { ...o.metadata.annotations, 'sandbox.meshops.io/federated-hostnames': 'omit' };
    });
    try {
      await waitFor(
        'hostnames gone',
        () =>
          slices()
            .flatMap((x) => x.endpoints ?? [])
            .every((e) => e.hostname === undefined),
        10_000,
      );
      expect(
        slices()
          .flatMap((x) => x.endpoints ?? [])
          .map((e) => e.targetRef?.name),
      ).toEqual(['iad/nginx-iad-0']);
    } finally {
      pdx.handle.store.mutate('', 'Service', 'default', 'nginx-federated', (o) => {
        delete o.metadata.annotations!['sandbox.meshops.io/federated-hostnames'];
      });
    }
    await waitFor(
      'hostnames back',
      () =>
        slices()
          .flatMap((x) => x.endpoints ?? [])
          .some((e) => e.hostname === 'nginx-iad-0'),
      10_000,
    );
  });
});

describe('network model: ping between pods', () => {
  let pcx: string;
  let env: ControllerEnv;
  const hostExec = (command: string[]) => execIn(pdx, env, 'netshoot', command);
  const ping = (target: string, count = 3) => hostExec(['ping', '-c', String(count), target]);

  beforeAll(async () => {
    env = { profile: tinyProfile, motoEndpoint: moto.endpoint, clusters: () => host.clusters() };
    pcx = await connectVpcs(moto.endpoint, iad, pdx);
    // Federation the other way too (pdx -> iad): replies need overlay routes back.
    const token = await federationToken(pdx);
    const s = iad.handle.store;
    s.create(
      accessSecret('pdx-secret', 'calico-system', {
        datastoreType: 'kubernetes',
        kubeconfig: kubeconfigFor(pdx, token),
      }),
    );
    for (const o of typhaSecretAccess(iad)) s.create(o);
    s.create(remoteClusterConfiguration('pdx', 'pdx-secret'));
    await waitFor(
      'iad in sync with pdx',
      () => typhaLog(iad).includes('Sending in-sync update for RemoteClusterConfiguration(pdx)'),
      10_000,
    );
    pdx.handle.store.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'netshoot', namespace: 'default' },
      spec: { containers: [{ name: 'netshoot', image: 'nicolaka/netshoot', command: ['sleep', 'infinity'] }] },
    });
    await waitFor(
      'netshoot running',
      () => (pdx.handle.store.get('', 'Pod', 'default', 'netshoot')?.status as { phase?: string })?.phase === 'Running',
      10_000,
    );
  }, 60_000);

  it('answers across regions with a us-east-1 <-> us-west-2 round trip, through the federated service name', async () => {
    const r = await ping('nginx-iad-0.nginx-federated');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^PING nginx-iad-0\.nginx-federated \(192\.168\.1\.\d+\) 56\(84\) bytes of data\.$/m);
    const times = [...r.stdout.matchAll(/^64 bytes from 192\.168\.1\.\d+: icmp_seq=(\d) ttl=62 time=([\d.]+) ms$/gm)];
    expect(times.map((m) => m[1])).toEqual(['1', '2', '3']);
    for (const m of times) {
      expect(Number(m[2])).toBeGreaterThanOrEqual(62);
      expect(Number(m[2])).toBeLessThanOrEqual(70);
    }
    expect(r.stdout).toMatch(
      /--- nginx-iad-0\.nginx-federated ping statistics ---\n3 packets transmitted, 3 received, 0% packet loss, time \d+ms\nrtt min\/avg\/max\/mdev = [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms/,
    );
  });

  it('drops a large cross-Region packet that exceeds the 8500-byte peering MTU, until the Installation sets mtu 8450', async () => {
    const target = 'nginx-iad-0.nginx-federated';
    const big = (size: number) => hostExec(['ping', '-c', '1', '-M', 'do', '-s', String(size), target]);
    // Calico auto-detects 8951 (9001 less VXLAN's 50): an 8950-byte packet leaves the node as 9000 bytes.
    const dropped = await big(8922);
    expect(dropped.exitCode).toBe(1);
    expect(dropped.stdout).toMatch(
      /^PING nginx-iad-0\.nginx-federated \(192\.168\.1\.\d+\) 8922\(8950\) bytes of data\.$/m,
    );
    expect(dropped.stdout).toContain('1 packets transmitted, 0 received, 100% packet loss');
    const why = await explainPing(pdx.handle, env, 'default', 'netshoot', target);
    expect(why.ok).toBe(true); // a small packet still passes: `ping -c 1` never shows it
    // Fragments are no better: each one is encapsulated to more than 8500 bytes.
    expect((await hostExec(['ping', '-c', '1', '-s', '8922', target])).exitCode).toBe(1);

    const setMtu = (c: typeof iad, mtu: number | undefined) =>
      c.handle.store.mutate('operator.tigera.io', 'Installation', undefined, 'default', (o) => {
        (o.spec as { calicoNetwork: { mtu?: number } }).calicoNetwork.mtu = mtu;
      });
    setMtu(iad, 8450);
    setMtu(pdx, 8450);
    try {
      const fits = await big(8422);
      expect(fits.exitCode).toBe(0);
      expect(fits.stdout).toMatch(/^8430 bytes from 192\.168\.1\.\d+: icmp_seq=1 ttl=62 time=[\d.]+ ms$/m);
      const refused = await big(8423);
      expect(refused).toMatchObject({ exitCode: 1, stderr: 'ping: local error: message too long, mtu=8450\n' });
      expect(refused.stdout).toContain('1 packets transmitted, 0 received, +1 errors, 100% packet loss');
    } finally {
      setMtu(iad, undefined);
      setMtu(pdx, undefined);
    }
  });

  it('answers within the cluster in under a millisecond, and resolves names like cluster DNS', async () => {
    await waitFor(
      'nginx-pdx-0 ready in endpoints',
      () => {
        const subs = pdx.handle.store.get('', 'Endpoints', 'default', 'nginx-pdx')?.subsets as
          | Array<{ addresses?: Array<{ hostname?: string }> }>
          | undefined;
        return (subs ?? []).some((s) => (s.addresses ?? []).some((a) => a.hostname === 'nginx-pdx-0'));
      },
      10_000,
    );
    const r = await ping('nginx-pdx-0.nginx-pdx', 2);
    expect(r.exitCode).toBe(0);
    for (const m of r.stdout.matchAll(/time=([\d.]+) ms/g)) expect(Number(m[1])).toBeLessThan(1);
    const ns = await hostExec(['nslookup', 'nginx-iad-0.nginx-federated']);
    expect(ns.stdout).toMatch(
      /Name:\tnginx-iad-0\.nginx-federated\.default\.svc\.cluster\.local\nAddress: 192\.168\.1\.\d+/,
    );
    const missing = await ping('nginx-iad-9.nginx-federated', 1);
    expect(missing).toMatchObject({
      exitCode: 2,
      stderr: 'ping: nginx-iad-9.nginx-federated: Name or service not known\n',
    });
    const shell = await hostExec(['sh', '-c', 'getent hosts nginx-pdx-0.nginx-pdx && echo found']);
    expect(shell.stdout).toMatch(/^192\.168\.2\.\d+\s+nginx-pdx-0\.nginx-pdx\.default\.svc\.cluster\.local\nfound\n$/);
  });

  it('loses every packet without the route to the peer VPC, and explainPath names the route table', async () => {
    const east = ec2(moto.endpoint, 'us-east-1');
    await east.send(new DeleteRouteCommand({ RouteTableId: iad.vpc.routeTableId, DestinationCidrBlock: pdx.vpc.cidr }));
    const r = await ping('nginx-iad-0.nginx-federated');
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('3 packets transmitted, 0 received, 100% packet loss');
    const why = await explainPing(pdx.handle, env, 'default', 'netshoot', 'nginx-iad-0.nginx-federated');
    expect(why).toMatchObject({
      ok: false,
      check: 'route',
      evidence: { routeTable: iad.vpc.routeTableId, peering: pcx },
    });
    expect(pdx.handle.logs.read('kube-system', 'sandbox-network').at(-1)?.text).toContain(iad.vpc.routeTableId);
    await east.send(
      new CreateRouteCommand({
        RouteTableId: iad.vpc.routeTableId,
        DestinationCidrBlock: pdx.vpc.cidr,
        VpcPeeringConnectionId: pcx,
      }),
    );
    expect((await ping('nginx-iad-0.nginx-federated', 1)).exitCode).toBe(0);
  });

  it('loses every packet without the VXLAN rule in a security group, and explainPath names the group', async () => {
    const west = ec2(moto.endpoint, 'us-west-2');
    await west.send(
      new RevokeSecurityGroupIngressCommand({
        GroupId: pdx.vpc.securityGroupId,
        IpPermissions: [{ IpProtocol: 'udp', FromPort: 4789, ToPort: 4789, IpRanges: [{ CidrIp: iad.vpc.cidr }] }],
      }),
    );
    expect((await ping('nginx-iad-0.nginx-federated', 2)).exitCode).toBe(1);
    const why = await explainPing(pdx.handle, env, 'default', 'netshoot', 'nginx-iad-0.nginx-federated');
    expect(why).toMatchObject({
      ok: false,
      check: 'security-group',
      evidence: { securityGroup: pdx.vpc.securityGroupId },
    });
    await west.send(vxlanRule(pdx.vpc.securityGroupId, iad.vpc.cidr));
    expect((await ping('nginx-iad-0.nginx-federated', 1)).exitCode).toBe(0);
  });

  it('loses every packet while one side has no in-sync RemoteClusterConfiguration for the other', async () => {
    const rcc = iad.handle.store.get('projectcalico.org', 'RemoteClusterConfiguration', undefined, 'pdx')!;
    iad.handle.store.delete('projectcalico.org', 'RemoteClusterConfiguration', undefined, 'pdx');
    await waitFor('sync stopped', () =>
      typhaLog(iad).includes('Stopping remote cluster sync for RemoteClusterConfiguration(pdx)'),
    );
    expect((await ping('nginx-iad-0.nginx-federated', 1)).exitCode).toBe(1);
    const why = await explainPing(pdx.handle, env, 'default', 'netshoot', 'nginx-iad-0.nginx-federated');
    expect(why).toMatchObject({ ok: false, check: 'federation', evidence: { cluster: 'iad', remote: 'pdx' } });
    const since = typhaLog(iad).length;
    iad.handle.store.create({ ...rcc, metadata: { name: 'pdx' } });
    await waitFor(
      'back in sync',
      () => typhaLog(iad).slice(since).includes('Sending in-sync update for RemoteClusterConfiguration(pdx)'),
      10_000,
    );
    expect((await ping('nginx-iad-0.nginx-federated', 1)).exitCode).toBe(0);
  });

  it('loses every packet once the peering is deleted, and explainPath names the peering and its state', async () => {
    await ec2(moto.endpoint, 'us-east-1').send(new DeleteVpcPeeringConnectionCommand({ VpcPeeringConnectionId: pcx }));
    expect((await ping('nginx-iad-0.nginx-federated', 1)).exitCode).toBe(1);
    const why = await explainPing(pdx.handle, env, 'default', 'netshoot', 'nginx-iad-0.nginx-federated');
    expect(why).toMatchObject({ ok: false, check: 'peering' });
    expect(why.ok === false && why.reason).toMatch(new RegExp(`${pcx} is deleted|no active VPC peering`));
  });
});

/** The exec handler the controllers give the API stand-in (what kubectl exec reaches). */
function execIn(c: MeshCluster, env: ControllerEnv, pod: string, command: string[]) {
  return new NetworkExec(c.handle, env).exec({ namespace: 'default', pod, command });
}

/** GET through pdx's API server with a token, as the product's client does. */
async function apiGet(c: MeshCluster, token: string, path: string): Promise<{ status: number; body: string }> {
  const url = new URL(path, c.handle.endpoint);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca: c.handle.caPem, headers: { authorization: `Bearer ${token}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('calico-typha metrics, through the API server pod proxy', () => {
  it('serves remote_cluster_connection_status per replica on typhaMetricsPort; a replica can fall out of sync; logs rotate', async () => {
    const s = pdx.handle.store;
    const token = await federationToken(pdx);
    s.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'metrics-reader' },
      rules: [{ apiGroups: [''], resources: ['pods/proxy'], verbs: ['get'] }],
    });
    s.create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'metrics-reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'metrics-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'tigera-federation-remote-cluster', namespace: 'calico-system' }],
    });
    const typhas = s.list('', 'Pod', 'calico-system').filter((p) => p.metadata.labels?.['k8s-app'] === 'calico-typha');
    expect(typhas).toHaveLength(2); // the operator runs one per node, up to three
    const [a, b] = typhas.map((p) => p.metadata.name);
    const metrics = (pod: string) =>
      apiGet(pdx, token, `/api/v1/namespaces/calico-system/pods/${pod}:9093/proxy/metrics`);
    const line = 'remote_cluster_connection_status{remote_cluster_name="iad"} ';

    // Without Installation.spec.typhaMetricsPort nothing listens on the port.
    const refused = await metrics(a);
    expect(refused.status).toBe(503);
    expect(refused.body).toContain('connect: connection refused');

    const setPort = (port: number | undefined) =>
      s.mutate('operator.tigera.io', 'Installation', undefined, 'default', (o) => {
        (o.spec as { typhaMetricsPort?: number }).typhaMetricsPort = port;
      });
    const annotate = (pod: string, value: string | undefined) =>
      s.mutate('', 'Pod', 'calico-system', pod, (o) => {
        o.metadata.annotations = { ...o.metadata.annotations, 'sandbox.meshops.io/remote-sync': value as string };
        if (value === undefined) delete o.metadata.annotations['sandbox.meshops.io/remote-sync'];
      });
    setPort(9093);
    try {
      for (const pod of [a, b]) expect((await metrics(pod)).body).toContain(`${line}2\n`);
      annotate(b, 'broken');
      expect((await metrics(a)).body).toContain(`${line}2\n`);
      expect((await metrics(b)).body).toContain(`${line}1\n`);

      // The kubelet rotates the log: the in-sync line is gone from what the API returns, the metric stays.
      expect(typhaLog(pdx)).toContain('Sending in-sync update for RemoteClusterConfiguration(iad)');
      for (const pod of [a, b]) pdx.handle.logs.rotate('calico-system', pod);
      expect(typhaLog(pdx)).not.toContain('Sending in-sync update for RemoteClusterConfiguration(iad)');
      expect((await metrics(a)).body).toContain(`${line}2\n`);
    } finally {
      annotate(b, undefined);
      setPort(undefined);
      s.delete('rbac.authorization.k8s.io', 'ClusterRoleBinding', undefined, 'metrics-reader');
      s.delete('rbac.authorization.k8s.io', 'ClusterRole', undefined, 'metrics-reader');
    }
  });
});

describe('a settled mesh', () => {
  it('writes nothing while nothing changes (controllers settle; federation keeps polling quietly)', async () => {
    // Settled: the last write is a while back (the controllers' passes follow writes within milliseconds).
    let lastWrite = Date.now();
    const settling = [iad, pdx].map((c) => c.handle.store.subscribe(() => (lastWrite = Date.now())));
    await waitFor('the stores to settle', () => Date.now() - lastWrite > 200, 10_000);
    for (const u of settling) u();
    const events: string[] = [];
    const unsubs = [iad, pdx].map((c) =>
      c.handle.store.subscribe((e) => events.push(`${c.name} ${e.type} ${e.object.kind}/${e.object.metadata.name}`)),
    );
    // Typha looks at its remote again and again meanwhile: none of those polls may write.
    await morePolls(10);
    for (const u of unsubs) u();
    expect(events).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import type { ControllerEnv, SimClusterHandle } from '../../../sandbox/contracts.ts';
import { PodLogStore } from '../../../sandbox/kube/logs.ts';
import { NetworkExec } from '../../../sandbox/kube/network/index.ts';
import { ObjectStore } from '../../../sandbox/kube/store.ts';
import { tinyProfile } from '../../sandbox-kube-controllers/harness.ts';

// One cluster, pods written straight into the store: commands that stay inside the cluster need no AWS.
function cluster(): { handle: SimClusterHandle; exec: NetworkExec['exec'] } {
  const store = new ObjectStore();
  const handle: SimClusterHandle = {
    placement: {
      name: 'iad',
      region: 'us-east-1',
      accountId: '1',
      vpcId: 'vpc-1',
      subnetIds: [],
      clusterSecurityGroupId: 'sg-1',
      kubernetesVersion: '1.34',
    },
    store,
    logs: new PodLogStore(),
    api: { register() {}, unregister() {}, find: () => undefined },
    authorize: () => false,
    endpoint: 'https://127.0.0.1:1',
    caPem: '',
  };
  const pod = (name: string, ip: string, node: string, phase = 'Running', extra: Record<string, unknown> = {}) =>
    store.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', labels: { app: name.split('-')[0] } },
      spec: { nodeName: node, containers: [{ name: 'c', image: 'x' }], ...extra },
      status: { phase, podIP: ip },
    });
  pod('netshoot', '192.168.1.10', 'node-a');
  pod('web-0', '192.168.1.20', 'node-b', 'Running', { hostname: 'web-0', subdomain: 'web' });
  pod('pending', '', 'node-a', 'Pending');
  store.create({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default' },
    spec: { clusterIP: 'None', selector: { app: 'web' } },
  });
  store.create({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'api', namespace: 'default' },
    spec: { clusterIP: '10.100.4.4', selector: { app: 'api' } },
  });
  store.create({
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'web', namespace: 'default' },
    subsets: [
      {
        addresses: [
          { ip: '192.168.1.20', hostname: 'web-0', targetRef: { kind: 'Pod', name: 'web-0', namespace: 'default' } },
        ],
      },
    ],
  });
  const env: ControllerEnv = { profile: tinyProfile, motoEndpoint: 'http://127.0.0.1:1', clusters: () => [handle] };
  return { handle, exec: new NetworkExec(handle, env).exec };
}

describe('commands in a pod', () => {
  const { handle, exec } = cluster();
  const run = (...command: string[]) => exec({ namespace: 'default', pod: 'netshoot', command });

  it('pings a pod in the same cluster with sub-millisecond times, and bounds -c to 10', async () => {
    const r = await run('ping', '-c', '50', 'web-0.web');
    expect(r.exitCode).toBe(0);
    expect(r.stdout.match(/^64 bytes from 192\.168\.1\.20: icmp_seq=\d+ ttl=63 time=0\.\d+ ms$/gm)).toHaveLength(10);
    expect(r.stdout).toContain('10 packets transmitted, 10 received, 0% packet loss');
  });

  it('answers localhost and its own hostname from /etc/hosts', async () => {
    expect((await run('ping', '-c', '1', 'localhost')).stdout).toMatch(/64 bytes from 127\.0\.0\.1: icmp_seq=1 ttl=64/);
    expect((await run('getent', 'hosts', 'netshoot')).stdout).toMatch(/^192\.168\.1\.10\s+netshoot\n$/);
  });

  it('gets no answer from a ClusterIP and says nothing resolves for unknown names', async () => {
    const r = await run('ping', '-c', '2', 'api');
    expect(r).toMatchObject({ exitCode: 1 });
    expect(r.stdout).toMatch(
      /^PING api \(10\.100\.4\.4\) 56\(84\) bytes of data\.\n\n--- api ping statistics ---\n2 packets transmitted, 0 received, 100% packet loss, time \d+ms\n/,
    );
    expect(handle.logs.read('kube-system', 'sandbox-network').at(-1)?.text).toMatch(/ClusterIP/);
    expect(await run('ping', 'nope')).toMatchObject({ exitCode: 2, stderr: 'ping: nope: Name or service not known\n' });
    const ns = await run('nslookup', 'nope');
    expect(ns.exitCode).toBe(1);
    expect(ns.stdout).toContain("** server can't find nope: NXDOMAIN");
  });

  it('runs sh -c sequences and reports unknown commands like a shell or the runtime would', async () => {
    expect(await run('sh', '-c', 'true && echo "it works"; false || echo fallback')).toMatchObject({
      stdout: 'it works\nfallback\n',
      exitCode: 0,
    });
    expect(await run('sh', '-c', 'curl x')).toMatchObject({ exitCode: 127, stderr: 'sh: curl: not found\n' });
    expect((await run('curl', 'x')).exitCode).toBe(126);
    expect((await run('cat', '/etc/resolv.conf')).stdout).toMatch(
      /^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local ec2\.internal\nnameserver 172\.20\.0\.10\noptions ndots:5\n$/,
    );
  });

  it('refuses to exec into a pod that is not running', async () => {
    const r = await exec({ namespace: 'default', pod: 'pending', command: ['true'] });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/unable to upgrade connection: container not found/);
  });
});

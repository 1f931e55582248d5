// The cluster host as the AWS gateway drives it: one stand-in per cluster, each with its own CA, its EKS
// tokens checked for that cluster's name, controllers installed and told about node groups.
import * as k8s from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { createClusterHost } from '../../sandbox/kube/host.ts';
import { ADMIN_TOKEN, echoExec, execOnlyControllers, placement } from './harness.ts';

function client(endpoint: string, caPem: string, token = ADMIN_TOKEN): k8s.CoreV1Api {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: endpoint, caData: Buffer.from(caPem).toString('base64') }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
    currentContext: 'c',
  });
  return kc.makeApiClient(k8s.CoreV1Api);
}

describe('cluster host', () => {
  let host: ReturnType<typeof createClusterHost> | undefined;
  afterEach(async () => host?.stopAll());

  it('serves each cluster on its own endpoint and CA, verifying EKS tokens for that cluster (cached)', async () => {
    const asked: string[] = [];
    host = createClusterHost({
      verifyEksToken: async (token, cluster) => {
        asked.push(cluster);
        return token === ADMIN_TOKEN
          ? { ok: true, arn: 'arn:aws:iam::111122223333:user/admin' }
          : { ok: false, reason: 'bad' };
      },
      env: { profile: { name: 'fast' } as never, motoEndpoint: 'http://127.0.0.1:9' },
    });
    const iad = await host.startCluster(placement('iad', 'us-east-1'));
    const pdx = await host.startCluster(placement('pdx', 'us-west-2'));
    expect(iad.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(iad.endpoint).not.toBe(pdx.endpoint);
    expect(iad.caPem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(iad.caPem).not.toBe(pdx.caPem);
    expect(await host.startCluster(placement('iad', 'us-east-1'))).toEqual(iad);

    const names = (await client(iad.endpoint, iad.caPem).listNamespace()).items.map((n) => n.metadata?.name);
    expect(names).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    await client(iad.endpoint, iad.caPem).listNamespace();
    expect(asked).toEqual(['iad']);
    await client(pdx.endpoint, pdx.caPem).listNamespace();
    expect(asked).toEqual(['iad', 'pdx']);

    // pdx's CA does not vouch for iad's server.
    await expect(client(iad.endpoint, pdx.caPem).listNamespace()).rejects.toThrow();
    expect(
      host
        .clusters()
        .map((c) => c.placement.name)
        .sort(),
    ).toEqual(['iad', 'pdx']);
    expect(host.find('us-west-2', 'pdx')?.endpoint).toBe(pdx.endpoint);
    expect(host.find('us-east-1', 'pdx')).toBeUndefined();
  });

  it('forwards node groups to the controllers and stops them with the cluster', async () => {
    const calls: string[] = [];
    let sawClusters = 0;
    host = createClusterHost({
      verifyEksToken: async () => ({ ok: false, reason: 'unused' }),
      installControllers: (handle, env) => {
        sawClusters = env.clusters().length;
        expect(handle.store.get('apps', 'DaemonSet', 'kube-system', 'aws-node')?.metadata.labels).toEqual({
          'k8s-app': 'aws-node',
        });
        return execOnlyControllers(echoExec, calls)(handle, env);
      },
      env: { profile: { name: 'fast' } as never, motoEndpoint: 'http://127.0.0.1:9' },
    });
    const iad = await host.startCluster(placement('iad'));
    expect(sawClusters).toBe(1);
    host.setNodeGroup('us-east-1', 'iad', {
      name: 'ng-1',
      desiredSize: 3,
      instanceType: 'm5.xlarge',
      subnetIds: ['subnet-1'],
    });
    host.deleteNodeGroup('us-east-1', 'iad', 'ng-1');
    host.setNodeGroup('us-east-1', 'unknown', {
      name: 'ng-1',
      desiredSize: 3,
      instanceType: 'm5.xlarge',
      subnetIds: [],
    });
    await host.stopCluster('us-east-1', 'iad');
    expect(calls).toEqual(['setNodeGroup ng-1 3', 'deleteNodeGroup ng-1', 'stop']);
    expect(host.clusters()).toHaveLength(0);
    await expect(client(iad.endpoint, iad.caPem).listNamespace()).rejects.toThrow();
  });
});

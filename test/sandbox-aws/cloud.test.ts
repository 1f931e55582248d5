// startCloud assembles moto, the Kubernetes stand-ins and the gateway; the product only sees an AWS endpoint.
// An EKS cluster created through it is a real Kubernetes API that @kubernetes/client-node reaches with
// DescribeCluster's endpoint and CA and an EKS token; its nodes follow the node group.
import { readFileSync } from 'node:fs';
import {
  CreateClusterCommand,
  CreateNodegroupCommand,
  DescribeClusterCommand,
  DescribeNodegroupCommand,
  EKSClient,
  UpdateNodegroupConfigCommand,
} from '@aws-sdk/client-eks';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { timeProfile } from '../../sandbox/aws/profiles.ts';
import { type Cloud, startCloud } from '../../sandbox/cloud.ts';
import { clients, clusterGroundwork, uniqueName, waitFor } from './helpers/aws.ts';
import { mintEksToken } from './helpers/eks-token.ts';

let cloud: Cloud;
beforeAll(async () => {
  // These tests read the timelines and the served cluster; eventual consistency has its own tests (test/aws/consistency.test.ts).
  cloud = await startCloud({ profile: 'real', timeScale: 0.002, consistencyLagMs: 0 });
});
afterAll(async () => {
  await cloud?.stop();
});

function kubeConfigFor(name: string, endpoint: string, caData: string, token: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name, server: endpoint, caData }],
    users: [{ name: 'meshops', token }],
    contexts: [{ name, cluster: name, user: 'meshops' }],
    currentContext: name,
  });
  return kc;
}

describe('startCloud', () => {
  it('scales the real profile by timeScale', () => {
    expect(cloud.profile.clusterCreateMs).toBe(1_440);
    expect(cloud.profile.natCreateMs).toBe(240);
    expect(timeProfile('fast').clusterCreateMs).toBe(3_000);
    expect(() => timeProfile('fast', 0)).toThrow(/timeScale/);
  });

  it('serves an EKS cluster lifecycle to an SDK client configured only from awsEnv', async () => {
    const eks = new EKSClient({
      region: cloud.awsEnv.AWS_REGION,
      endpoint: cloud.awsEnv.AWS_ENDPOINT_URL,
      credentials: { accessKeyId: cloud.awsEnv.AWS_ACCESS_KEY_ID, secretAccessKey: cloud.awsEnv.AWS_SECRET_ACCESS_KEY },
    });
    const ground = await clusterGroundwork(clients(cloud.awsEndpoint));
    const name = uniqueName('iad');
    await eks.send(
      new CreateClusterCommand({ name, roleArn: ground.roleArn, resourcesVpcConfig: { subnetIds: ground.subnetIds } }),
    );
    const active = await waitFor('ACTIVE', async () => {
      const c = (await eks.send(new DescribeClusterCommand({ name }))).cluster;
      return c?.status === 'ACTIVE' ? c : undefined;
    });
    expect(cloud.kube!.find('us-east-1', name)?.endpoint).toBe(active.endpoint);
    expect(active.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:/);
    expect(cloud.calls.counts()['eks:CreateCluster']).toBe(1);
  });

  it('verifies EKS tokens minted against its endpoint', async () => {
    expect(await cloud.verifyEksToken(await mintEksToken(cloud.awsEndpoint, 'iad'), 'iad')).toMatchObject({ ok: true });
  });

  it('serves the Calico manifests under manifestBaseUrl', async () => {
    const res = await fetch(`${cloud.manifestBaseUrl.oss}/v3.31.7/manifests/tigera-operator.yaml`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(
      readFileSync(new URL('../../sandbox/calico/v3.31.7/tigera-operator.yaml', import.meta.url), 'utf8'),
    );
    expect((await fetch(`${cloud.manifestBaseUrl.oss}/v3.31.7/manifests/..%2Fsecret`)).status).toBe(404);
    expect((await fetch(`${cloud.manifestBaseUrl.oss}/v9.9.9/manifests/tigera-operator.yaml`)).status).toBe(404);
  });

  it('serves a cluster that @kubernetes/client-node reaches with the endpoint, CA and an EKS token', async () => {
    const aws = clients(cloud.awsEndpoint);
    const ground = await clusterGroundwork(aws);
    const name = uniqueName('iad');
    await aws.eks.send(
      new CreateClusterCommand({
        name,
        version: '1.34',
        roleArn: ground.roleArn,
        resourcesVpcConfig: { subnetIds: ground.subnetIds },
        accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP', bootstrapClusterCreatorAdminPermissions: true },
      }),
    );
    const cluster = await waitFor('ACTIVE', async () => {
      const c = (await aws.eks.send(new DescribeClusterCommand({ name }))).cluster;
      return c?.status === 'ACTIVE' ? c : undefined;
    });
    const core = kubeConfigFor(
      name,
      cluster.endpoint!,
      cluster.certificateAuthority!.data!,
      await mintEksToken(cloud.awsEndpoint, name),
    ).makeApiClient(CoreV1Api);
    const namespaces = await core.listNamespace();
    expect(namespaces.items.map((n) => n.metadata?.name)).toContain('kube-system');

    const stranger = kubeConfigFor(
      name,
      cluster.endpoint!,
      cluster.certificateAuthority!.data!,
      await mintEksToken(cloud.awsEndpoint, 'some-other-cluster'),
    ).makeApiClient(CoreV1Api);
    await expect(stranger.listNamespace()).rejects.toMatchObject({ code: 401 });

    await aws.eks.send(
      new CreateNodegroupCommand({
        clusterName: name,
        nodegroupName: 'workers',
        nodeRole: ground.roleArn,
        subnets: ground.subnetIds,
        instanceTypes: ['m5.xlarge'],
        scalingConfig: { minSize: 0, maxSize: 8, desiredSize: 0 },
      }),
    );
    await waitFor('node group ACTIVE', async () =>
      (await aws.eks.send(new DescribeNodegroupCommand({ clusterName: name, nodegroupName: 'workers' }))).nodegroup
        ?.status === 'ACTIVE'
        ? true
        : undefined,
    );
    await aws.eks.send(
      new UpdateNodegroupConfigCommand({
        clusterName: name,
        nodegroupName: 'workers',
        scalingConfig: { desiredSize: 2 },
      }),
    );
    const nodes = await waitFor('2 nodes', async () => {
      const list = await core.listNode();
      return list.items.length === 2 ? list.items : undefined;
    });
    expect(nodes.every((n) => n.metadata?.labels?.['node.kubernetes.io/instance-type'] === 'm5.xlarge')).toBe(true);
  });
});

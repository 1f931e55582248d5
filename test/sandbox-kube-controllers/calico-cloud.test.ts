// Calico Cloud's side of the sandbox: a join is generated for one cluster name, so its api-key connects one live
// cluster; the installer upgrades an Open Source cluster and leaves the ManagementClusterConnection and tunnel
// Secret from which the operator runs guardian and reports TigeraStatus management-cluster-connection.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { type MotoServer, startMoto } from '../../sandbox/aws/moto.ts';
import { type CalicoCloudService, startCalicoCloudService } from '../../sandbox/calico/cloud-service.ts';
import type { SimClusterHandle } from '../../sandbox/contracts.ts';
import { installControllers } from '../../sandbox/kube/controllers/index.ts';
import { createClusterHost, type SimClusterHost } from '../../sandbox/kube/host.ts';
import { foldStringData } from '../../sandbox/kube/server/admission.ts';
import type { KubeObject } from '../../sandbox/kube/store.ts';
import { applyManifestFile, installation, makeVpc, tigeraCondition, tinyProfile, waitFor } from './harness.ts';

let moto: MotoServer;
let host: SimClusterHost;
let cloud: CalicoCloudService;
const OSS = 'sandbox/calico/v3.31.7';

/** An EKS cluster running Calico Open Source, Available, as Calico Cloud requires before it connects one. */
async function ossCluster(name: string, region: string, vpcCidr: string, podCidr: string): Promise<SimClusterHandle> {
  const vpc = await makeVpc(moto.endpoint, region, vpcCidr);
  await host.startCluster({
    name,
    region,
    accountId: '123456789012',
    vpcId: vpc.vpcId,
    subnetIds: vpc.subnetIds,
    clusterSecurityGroupId: vpc.securityGroupId,
    kubernetesVersion: '1.34',
  });
  const handle = host.find(region, name)!;
  handle.store.delete('apps', 'DaemonSet', 'kube-system', 'aws-node');
  applyManifestFile(handle.store, `${OSS}/operator-crds.yaml`);
  applyManifestFile(handle.store, `${OSS}/tigera-operator.yaml`);
  handle.store.create(installation({ cidr: podCidr }));
  handle.store.create({ apiVersion: 'operator.tigera.io/v1', kind: 'APIServer', metadata: { name: 'default' } });
  host.setNodeGroup(region, name, {
    name: `${name}-ng`,
    desiredSize: 1,
    instanceType: 'm5.xlarge',
    subnetIds: vpc.subnetIds,
  });
  await waitFor(
    `${name}: calico Available`,
    () => tigeraCondition(handle.store, 'calico', 'Available')?.status === 'True',
    30_000,
  );
  return handle;
}

/** `kubectl apply -f <installer>` then `curl -H "Authorization: Bearer <token>" <join> | kubectl apply -f -`. */
async function join(handle: SimClusterHandle, token: string): Promise<void> {
  applyManifestFile(handle.store, 'sandbox/calico/cloud/deploy.yaml');
  const res = await fetch(cloud.joinUrl, { headers: { Authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  for (const doc of parseAllDocuments(await res.text())) {
    const obj = doc.toJS() as KubeObject;
    foldStringData(obj);
    handle.store.create(obj);
  }
}

function installerStatus(handle: SimClusterHandle) {
  const i = handle.store.get('operator.calicocloud.io', 'Installer', 'calico-cloud', 'default');
  return i?.status as { state?: string; clusterName?: string; message?: string } | undefined;
}

beforeAll(async () => {
  moto = await startMoto();
  cloud = await startCalicoCloudService();
  host = createClusterHost({
    verifyEksToken: async () => ({ ok: false, reason: 'EKS tokens are not used in these tests' }),
    installControllers,
    env: { profile: tinyProfile, motoEndpoint: moto.endpoint, calicoCloud: cloud },
  });
}, 60_000);

afterAll(async () => {
  await host?.stopAll();
  await cloud?.stop();
  await moto?.stop();
});

describe('Calico Cloud stand-in', () => {
  it('refuses the join URL without a token it minted', async () => {
    const res = await fetch(cloud.joinUrl, { headers: { Authorization: 'Bearer cc-not-minted' } });
    expect(res.status).toBe(401);
  });

  it('connects a cluster under the name its join was generated for, and guardian reaches the management plane', async () => {
    const a = await ossCluster('cc-a', 'us-east-1', '10.10.0.0/16', '192.168.10.0/24');
    await join(a, cloud.connectCluster('cc-a'));
    const done = await waitFor(
      'cc-a: Installer complete',
      () => installerStatus(a)?.state === 'complete' && installerStatus(a),
      10_000,
    );
    expect(done.clusterName).toBe('cc-a');
    const inst = a.store.get('operator.tigera.io', 'Installation', undefined, 'default');
    expect((inst!.spec as { variant?: string }).variant).toBe('TigeraSecureEnterprise');
    const mcc = a.store.get('operator.tigera.io', 'ManagementClusterConnection', undefined, 'tigera-secure');
    expect(mcc?.spec).toEqual({ managementClusterAddr: 'sandbox-org.tigera.io:9000' });
    await waitFor(
      'cc-a: management-cluster-connection Available',
      () => tigeraCondition(a.store, 'management-cluster-connection', 'Available')?.status === 'True',
      10_000,
    );
    const guardian = a.store.get('apps', 'Deployment', 'calico-system', 'guardian');
    const container = (guardian!.spec as { template: { spec: { containers: Array<Record<string, unknown>> } } })
      .template.spec.containers[0];
    expect(container).toMatchObject({
      name: 'tigera-guardian',
      env: [{ name: 'GUARDIAN_VOLTRON_URL', value: 'sandbox-org.tigera.io:9000' }],
    });
    expect(cloud.managedClusters()).toContainEqual({ name: 'cc-a', connected: true });

    // Without guardian's tunnel Secret the operator reports what it could not read, as tigera/operator does.
    a.store.delete('', 'Secret', 'tigera-operator', 'tigera-managed-cluster-connection');
    const degraded = await waitFor(
      'cc-a: management-cluster-connection Degraded',
      () => {
        const c = tigeraCondition(a.store, 'management-cluster-connection', 'Degraded');
        return c?.status === 'True' && c;
      },
      10_000,
    );
    expect(degraded.message).toMatch(/^Error retrieving secrets from operator namespace/);
  }, 60_000);

  it("refuses a second live cluster joined with the first one's token", async () => {
    const b = await ossCluster('cc-b', 'us-west-2', '10.11.0.0/16', '192.168.11.0/24');
    await join(b, cloud.connectCluster('cc-a'));
    const failed = await waitFor(
      'cc-b: Installer failed',
      () => installerStatus(b)?.state === 'failed' && installerStatus(b),
      10_000,
    );
    expect(failed.message).toBe(
      'managed cluster cc-a is already connected to Calico Cloud from another cluster: each cluster needs the join ' +
        'generated for its own name (Managed Clusters, Connect Cluster)',
    );
    const inst = b.store.get('operator.tigera.io', 'Installation', undefined, 'default');
    expect((inst!.spec as { variant?: string }).variant).toBeUndefined();
    expect(
      b.store.get('operator.tigera.io', 'ManagementClusterConnection', undefined, 'tigera-secure'),
    ).toBeUndefined();
  }, 60_000);
});

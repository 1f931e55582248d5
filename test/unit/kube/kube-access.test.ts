// makeKubeAccess keeps one KubeConfig per cluster, but never one for an endpoint the cluster no longer has: after
// `/mesh down` and `/mesh up` within minutes, the new cluster's Kubernetes steps must reach the new API server.
// Only an API server that answered through the KubeConfig seconds ago spares the DescribeCluster.
import type { EKSClient } from '@aws-sdk/client-eks';
import { describe, expect, it } from 'vitest';
import type { MeshSpec } from '../../../src/config/spec-types.ts';
import type { AwsClients } from '../../../src/deps.ts';
import { ANSWERED_RECENTLY_MS, makeKubeAccess } from '../../../src/kube/access.ts';
import { noteAnswer } from '../../../src/kube/answered.ts';

const cluster = { name: 'iad', region: 'us-east-1' } as MeshSpec['clusters'][number];
const spec = { name: 'demo', clusters: [cluster] } as unknown as MeshSpec;

/** DescribeCluster answering whatever endpoint the test sets, counting the calls. */
function fakeEks() {
  const state = { endpoint: 'https://old.example:443', ca: 'Y2EtMQ==', calls: 0 };
  const eks = {
    send: async () => {
      state.calls++;
      return { cluster: { status: 'ACTIVE', endpoint: state.endpoint, certificateAuthority: { data: state.ca } } };
    },
  } as unknown as EKSClient;
  const aws = { eks: () => eks } as unknown as AwsClients;
  return { state, aws };
}

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

describe('kube access per cluster', () => {
  it('reuses the KubeConfig while the cluster keeps its endpoint and CA', async () => {
    const { aws } = fakeEks();
    const access = makeKubeAccess(aws, spec, { credentials });
    const first = await access.forCluster(cluster);
    expect(await access.forCluster(cluster)).toBe(first);
  });

  it('asks EKS once for askers at the same moment, and again for the next asker', async () => {
    const { state, aws } = fakeEks();
    const access = makeKubeAccess(aws, spec, { credentials });
    await Promise.all([1, 2, 3, 4].map(() => access.forCluster(cluster)));
    expect(state.calls).toBe(1);
    await access.forCluster(cluster);
    expect(state.calls).toBe(2);
  });

  it('asks EKS nothing while the API server has answered through the KubeConfig moments ago', async () => {
    const { state, aws } = fakeEks();
    let t = 1_000_000;
    const access = makeKubeAccess(aws, spec, { credentials, now: () => t });
    const kc = await access.forCluster(cluster);
    noteAnswer(kc, t);
    t += ANSWERED_RECENTLY_MS - 1;
    expect(await access.forCluster(cluster)).toBe(kc);
    expect(state.calls).toBe(1);
    // Quiet for longer: EKS is asked again, and a new endpoint is seen at once.
    t += 2;
    state.endpoint = 'https://new.example:443';
    expect((await access.forCluster(cluster)).getCurrentCluster()?.server).toBe('https://new.example:443');
    expect(state.calls).toBe(2);
  });

  it('uses the endpoint EKS was heard giving moments ago (the control plane wait), and asks once that is old', async () => {
    const { state, aws } = fakeEks();
    let t = 1_000_000;
    const access = makeKubeAccess(aws, spec, { credentials, now: () => t });
    access.heard?.(cluster, { endpoint: 'https://heard.example:443', caData: 'Y2EtMw==' });
    expect((await access.forCluster(cluster)).getCurrentCluster()?.server).toBe('https://heard.example:443');
    expect(state.calls).toBe(0);
    t += ANSWERED_RECENTLY_MS;
    expect((await access.forCluster(cluster)).getCurrentCluster()?.server).toBe('https://old.example:443');
    expect(state.calls).toBe(1);
  });

  it('builds a new one at once when the cluster was made again with a new endpoint', async () => {
    const { state, aws } = fakeEks();
    const access = makeKubeAccess(aws, spec, { credentials });
    expect((await access.forCluster(cluster)).getCurrentCluster()?.server).toBe('https://old.example:443');
    state.endpoint = 'https://new.example:443';
    state.ca = 'Y2EtMg==';
    const again = await access.forCluster(cluster);
    expect(again.getCurrentCluster()?.server).toBe('https://new.example:443');
    expect(again.getCurrentCluster()?.caData).toBe('Y2EtMg==');
  });
});

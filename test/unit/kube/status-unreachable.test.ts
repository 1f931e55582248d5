import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { observeKube } from '../../../jobs/status/kube.ts';
import { systemClock } from '../../../src/clock.ts';
import type { ClusterSpec, MeshSpec } from '../../../src/config/spec-types.ts';
import type { Deps, KubeAccess } from '../../../src/deps.ts';
import { PermanentError } from '../../../src/errors.ts';

const cluster: ClusterSpec = {
  name: 'iad',
  region: 'us-east-1',
  vpcCidr: '10.0.0.0/16',
  podCidr: '192.168.1.0/24',
  nodeGroup: { instanceType: 'm5.xlarge', desiredSize: 3, minSize: 0, maxSize: 8, diskSizeGiB: 100 },
};
const spec: MeshSpec = {
  name: 'demo',
  kubernetesVersion: '1.34',
  calico: { version: 'v3.22.2', variant: 'enterprise', encapsulation: 'VXLAN', manifestBaseUrl: 'http://127.0.0.1:1' },
  workloads: {
    namespace: 'default',
    replicas: 1,
    maxReplicas: 20,
    image: 'nginx:1.27',
    netshootImage: 'nicolaka/netshoot:v0.13',
  },
  clusters: [cluster],
};

function deps(kube: KubeAccess): Deps {
  const noAws = () => {
    throw new Error('no AWS here');
  };
  return {
    spec,
    aws: { ec2: noAws, eks: noAws, elbv2: noAws, elb: noAws, iam: noAws, sts: noAws },
    kube,
    calico: {},
    clock: systemClock,
    log: pino({ level: 'silent' }),
    pollIntervalMs: 10,
  };
}

describe('observeKube never throws', () => {
  it('reports a cluster whose API does not answer as one failing line', async () => {
    const kc = new KubeConfig();
    // Port 9 on loopback: nothing listens, the connection is refused at once.
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://127.0.0.1:9', skipTLSVerify: true }],
      users: [{ name: 'u', token: 'x' }],
      contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
      currentContext: 'c',
    });
    const lines = await observeKube(deps({ forCluster: async () => kc }), cluster);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ health: 'failing', subject: 'Kubernetes API' });
    expect(lines[0].detail).toMatch(/^unreachable: .*127\.0\.0\.1:9/);
  });

  it('reports a cluster that does not exist as absent', async () => {
    const gone = new PermanentError('EKS cluster demo-iad does not exist in us-east-1', {
      code: 'ResourceNotFoundException',
    });
    const lines = await observeKube(
      deps({
        forCluster: async () => {
          throw gone;
        },
      }),
      cluster,
    );
    expect(lines).toEqual([{ health: 'absent', subject: 'Kubernetes', detail: 'no EKS cluster demo-iad' }]);
  });
});

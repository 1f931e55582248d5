// Kubernetes versions and their price, against the sandbox's DescribeClusterVersions (AWS's calendar): a spec
// without a version gets the newest in standard support, upgradePolicy.supportType is set, status warns in the
// last 30 days of standard support, and a cluster past it is priced at the extended rate.
import { DescribeClusterCommand } from '@aws-sdk/client-eks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { observeAws, observeBilled } from '../../jobs/status/aws.ts';
import { controlPlaneStep } from '../../jobs/up/aws/eks.ts';
import { iamStep } from '../../jobs/up/aws/iam.ts';
import { networkStep } from '../../jobs/up/aws/network.ts';
import { type Cloud, startCloud } from '../../sandbox/cloud.ts';
import type { ClusterHost } from '../../sandbox/contracts.ts';
import { type Clock, systemClock } from '../../src/clock.ts';
import { costOfObserved, loadPrices } from '../../src/cost.ts';
import { observePlan } from '../../src/steps/plan-text.ts';
import { parallel, sequential } from '../../src/steps/step.ts';
import { meshSpec, run, testContext, testDeps } from './harness.ts';

const noKubernetes: ClusterHost = {
  startCluster: async () => ({ endpoint: 'https://127.0.0.1:9', caPem: '' }),
  stopCluster: async () => {},
  setNodeGroup: () => {},
  deleteNodeGroup: () => {},
};

/** A clock whose day is fixed (waits still take real time). */
function clockAt(iso: string): Clock {
  const offset = Date.parse(iso) - Date.now();
  return { now: () => Date.now() + offset, sleep: systemClock.sleep };
}

let cloud: Cloud;
beforeAll(async () => {
  cloud = await startCloud({ profile: 'fast', clusterHost: noKubernetes });
});
afterAll(async () => {
  await cloud?.stop();
});

describe('Kubernetes versions', () => {
  it('without a version in the spec: the newest in standard support, with its date and price in the plan', async () => {
    const spec = meshSpec('ver1');
    delete spec.kubernetesVersion;
    const deps = { ...testDeps(cloud.awsEndpoint, spec), clock: clockAt('2026-12-01T12:00:00Z') };
    const iad = spec.clusters[0]!;
    const cp = controlPlaneStep(deps, iad);
    const seen = await observePlan(cp, testContext());
    expect(seen.get(cp.id)).toEqual({
      state: 'missing',
      detail: 'Kubernetes 1.35, the newest in standard support: standard support until 2027-03-27 ($0.10/h)',
    });
    await run(sequential('up', 'up', [parallel('base', 'base', [networkStep(deps, iad), iamStep(deps)]), cp]));
    const c = (await deps.aws.eks('us-east-1').send(new DescribeClusterCommand({ name: 'ver1-iad' }))).cluster!;
    expect(c).toMatchObject({ version: '1.35', upgradePolicy: { supportType: 'EXTENDED' } });
  });

  it('a cluster on 1.34 on 2026-12-01: status warns the day before standard support ends, saying the price after', async () => {
    const spec = meshSpec('ver2');
    spec.kubernetesVersion = '1.34';
    spec.kubernetesSupport = 'standard';
    const deps = { ...testDeps(cloud.awsEndpoint, spec), clock: clockAt('2026-12-01T12:00:00Z') };
    const iad = spec.clusters[0]!;
    await run(
      sequential('up', 'up', [
        parallel('base', 'base', [networkStep(deps, iad), iamStep(deps)]),
        controlPlaneStep(deps, iad),
      ]),
    );
    const line = (await observeAws(deps, iad)).find((l) => l.subject === 'Kubernetes 1.34 on ver2-iad');
    expect(line).toEqual({
      health: 'warning',
      subject: 'Kubernetes 1.34 on ver2-iad',
      detail:
        'standard support ends 2026-12-02 (in 1 day), then extended support ($0.60/h): upgrade the cluster (upgradePolicy STANDARD)',
    });
    // Two days later the same cluster is billed at the extended price.
    const later = { ...deps, clock: clockAt('2026-12-03T12:00:00Z') };
    const cost = costOfObserved(await observeBilled(later), await loadPrices());
    expect(cost.lines.filter((l) => l.item.startsWith('EKS control plane'))).toEqual([
      { region: 'us-east-1', item: 'EKS control plane (extended support)', quantity: 1, unitHourly: 0.6, hourly: 0.6 },
    ]);
    const now = costOfObserved(await observeBilled(deps), await loadPrices());
    expect(now.lines.find((l) => l.item.startsWith('EKS control plane'))).toMatchObject({
      item: 'EKS control plane',
      unitHourly: 0.1,
    });
  });
});

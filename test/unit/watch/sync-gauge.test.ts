// The per-pair sync gauge exports calico-typha's own remote_cluster_connection_status, so states other than InSync
// and "not" show (3 ReSyncInProgress here); only without a metric is the state inferred from the line.
import { describe, expect, it } from 'vitest';
import { meshHealthOf } from '../../../jobs/status/health.ts';
import type { ClusterStatus } from '../../../jobs/status/types.ts';
import { recordMeshHealth } from '../../../src/metrics/mesh-health.ts';
import { metricsText } from '../../../src/metrics/registry.ts';
import { testDeps } from '../kube/fake-kube.ts';

const cluster = (name: string, region: string, rcc: ClusterStatus['kube'][number]): ClusterStatus => ({
  cluster: name,
  region,
  aws: [],
  kube: [rcc],
});

describe('the sync gauge', () => {
  it("is typha's metric value, whatever the line says", async () => {
    const deps = testDeps();
    const [iad, pdx] = deps.spec.clusters;
    const clusters = [
      cluster(iad!.name, iad!.region, {
        health: 'failing',
        subject: `RemoteClusterConfiguration ${pdx!.name}`,
        detail: 'not in sync per calico-typha: calico-typha-a reports 3 (ReSyncInProgress)',
        value: 3,
      }),
      cluster(pdx!.name, pdx!.region, {
        health: 'failing',
        subject: `RemoteClusterConfiguration ${iad!.name}`,
        detail: 'not in sync per calico-typha: calico-typha could not be read',
      }),
    ];
    const h = await meshHealthOf(deps, clusters);
    expect(h.syncs.map((s) => [s.destination, s.state])).toEqual([
      [iad!.name, 3],
      [pdx!.name, 1],
    ]);
    recordMeshHealth(h);
    const text = (await metricsText()).body;
    expect(text).toContain(
      `meshops_mesh_remote_cluster_connection_status{mesh="${deps.spec.name}",source="${pdx!.name}",destination="${iad!.name}"} 3`,
    );
  });
});

// The ping gauges of a pass come from its own `ping to` lines: the pass pings each ordered pair once, and the
// status text, the gauges and the picture read the same ping (a line that says ok never sits next to a gauge of
// another ping that lost everything).
import { describe, expect, it } from 'vitest';
import { meshHealthOf } from '../../../jobs/status/health.ts';
import type { ClusterStatus } from '../../../jobs/status/types.ts';
import { recordMeshHealth } from '../../../src/metrics/mesh-health.ts';
import { metricsText } from '../../../src/metrics/registry.ts';
import { testDeps } from '../kube/fake-kube.ts';

describe('the ping gauges', () => {
  it("are the pass's own pings, as its lines carry them", async () => {
    const deps = testDeps();
    const [iad, pdx] = deps.spec.clusters;
    const clusters: ClusterStatus[] = [
      {
        cluster: iad!.name,
        region: iad!.region,
        aws: [],
        kube: [
          {
            health: 'ok',
            subject: `ping to ${pdx!.name}`,
            detail: 'multi-cluster-rs-pdx-0.multi-cluster-rs-pdx answers',
            path: { from: iad!.name, to: pdx!.name, packetLoss: 0, rttSeconds: 0.062 },
          },
        ],
      },
      {
        cluster: pdx!.name,
        region: pdx!.region,
        aws: [],
        kube: [
          {
            health: 'failing',
            subject: `ping to ${iad!.name}`,
            detail: 'FAIL: 100% loss',
            path: { from: pdx!.name, to: iad!.name, packetLoss: 1, failure: 'no reply' },
          },
          { health: 'absent', subject: 'pod netshoot', detail: 'no netshoot pod' },
        ],
      },
    ];
    const h = meshHealthOf(deps, clusters);
    expect(h.paths).toEqual([
      { from: iad!.name, to: pdx!.name, packetLoss: 0, rttSeconds: 0.062 },
      { from: pdx!.name, to: iad!.name, packetLoss: 1, failure: 'no reply' },
    ]);
    recordMeshHealth(h);
    const text = (await metricsText()).body;
    const mesh = deps.spec.name;
    expect(text).toContain(`meshops_mesh_ping_rtt_seconds{mesh="${mesh}",from="${iad!.name}",to="${pdx!.name}"} 0.062`);
    expect(text).toContain(
      `meshops_mesh_ping_packet_loss_ratio{mesh="${mesh}",from="${pdx!.name}",to="${iad!.name}"} 1`,
    );
  });
});

// GET /metrics on the sandbox's bot (started as in production): after `/mesh up` (the watch's first pass) and a
// `/mesh status` pass,
// a Prometheus text-format parser reads the mesh's gauges, the jobs, and the AWS, Kubernetes and Slack calls.

import { writeFileSync } from 'node:fs';
import parsePrometheusTextFormat, { type Family } from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../sandbox/sandbox.ts';
import { sandboxFor, seen } from '../e2e/helpers.ts';
import { decodePng } from '../unit/ops/png.ts';

let sb: Sandbox;

let lastText = '';
async function scrape(): Promise<Map<string, Family>> {
  const res = await fetch(`${sb.botUrl}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  lastText = await res.text();
  return new Map(parsePrometheusTextFormat(lastText).map((f) => [f.name, f]));
}

/**
 * A histogram's `_count` for one label set, from the text itself: parse-prometheus-text-format 1.1.1 folds the
 * series of a labelled histogram into one and drops their labels, so it cannot tell commands apart.
 */
function histogramCount(name: string, labels: Record<string, string>): number | undefined {
  for (const line of lastText.split('\n')) {
    const m = new RegExp(`^${name}_count\\{([^}]*)\\} (\\S+)$`).exec(line);
    if (!m) continue;
    const have = Object.fromEntries([...m[1].matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[2]);
  }
  return undefined;
}

/** The value of the one sample whose labels include `labels`. */
function value(m: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  const f = m.get(name);
  const hit = f?.metrics.filter((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
  if (!hit || hit.length === 0) return undefined;
  return hit.reduce((sum, s) => sum + Number(s.value ?? s.count), 0);
}

beforeAll(async () => {
  sb = await sandboxFor('metrics');
}, 120_000);
afterAll(async () => sb?.stop());

describe('GET /metrics', () => {
  it('after up and a status pass, shows the mesh gauges per cluster and per ordered pair', async () => {
    const up = await sb.run(`up --confirm ${sb.spec.name}`);
    expect(up.ok, seen(up.anchor)).toBe(true);
    // Before anyone asks for a status: the health watch's first pass, right after up, sets the mesh gauges.
    const [a, b] = sb.spec.clusters;
    const afterUp = { mesh: sb.spec.name, source: a!.name, destination: b!.name };
    await expect
      .poll(async () => value(await scrape(), 'meshops_mesh_remote_cluster_connection_status', afterUp), {
        timeout: 60_000,
      })
      .toBe(2);
    expect(value(await scrape(), 'meshops_mesh_nodes_ready', { mesh: sb.spec.name, cluster: a!.name })).toBe(
      a!.nodeGroup.desiredSize,
    );
    const status = await sb.run('status');
    expect(status.ok, seen(status.anchor)).toBe(true);
    // The status reply carries the topology picture.
    const pictures = status.thread.flatMap((t) => t.files).filter((f) => f.name === `topology-${sb.spec.name}.png`);
    expect(pictures).toHaveLength(1);
    expect(decodePng(pictures[0].bytes!)).toMatchObject({ width: 1100 });
    if (process.env.KEEP_PICTURE) writeFileSync(process.env.KEEP_PICTURE, pictures[0].bytes!);
    const m = await scrape();
    const mesh = sb.spec.name;
    const names = sb.spec.clusters.map((c) => c.name);
    for (const c of sb.spec.clusters) {
      const desired = c.nodeGroup.desiredSize;
      expect(value(m, 'meshops_mesh_nodes_ready', { mesh, cluster: c.name, region: c.region })).toBe(desired);
      expect(value(m, 'meshops_mesh_nodes_desired', { mesh, cluster: c.name })).toBe(desired);
      expect(value(m, 'meshops_mesh_tigerastatus_available', { cluster: c.name, component: 'calico' })).toBe(1);
    }
    for (const source of names) {
      for (const destination of names.filter((n) => n !== source)) {
        // 2 = InSync in Tigera's numbering.
        expect(value(m, 'meshops_mesh_remote_cluster_connection_status', { mesh, source, destination })).toBe(2);
        const rtt = value(m, 'meshops_mesh_ping_rtt_seconds', { mesh, from: source, to: destination })!;
        // The sandbox's latency table: us-east-1 <-> us-west-2 is about 60-70 ms.
        expect(rtt).toBeGreaterThan(0.04);
        expect(rtt).toBeLessThan(0.1);
        expect(value(m, 'meshops_mesh_ping_packet_loss_ratio', { mesh, from: source, to: destination })).toBe(0);
      }
    }
    expect(value(m, 'meshops_mesh_hourly_cost_dollars', { mesh })).toBeGreaterThan(0.5);
    expect(value(m, 'meshops_mesh_status_timestamp_seconds', { mesh })).toBeGreaterThan(Date.now() / 1000 - 600);
  });

  it('counts jobs, queue depth, and AWS, Kubernetes and Slack calls', async () => {
    // The status job ends after its answer is on the anchor (and after those who joined it have theirs): the
    // thread shows it a moment before the job is counted.
    await expect
      .poll(async () => value(await scrape(), 'meshops_jobs_total', { command: 'status', outcome: 'succeeded' }), {
        timeout: 10_000,
      })
      .toBe(1);
    const m = await scrape();
    expect(value(m, 'meshops_jobs_total', { command: 'up', outcome: 'succeeded' })).toBe(1);
    expect(value(m, 'meshops_jobs_total', { command: 'status', outcome: 'succeeded' })).toBe(1);
    expect(m.get('meshops_job_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(histogramCount('meshops_job_duration_seconds', { command: 'up', outcome: 'succeeded' })).toBe(1);
    expect(histogramCount('meshops_job_wait_seconds', { command: 'status' })).toBe(1);
    expect(histogramCount('meshops_aws_call_duration_seconds', { service: 'eks', operation: 'CreateCluster' })).toBe(2);
    expect(histogramCount('meshops_kube_call_duration_seconds', { verb: 'get' })).toBeGreaterThan(0);
    // The worker counts a job as ended before BullMQ has moved it out of `active` in Redis: wait for that.
    await expect
      .poll(async () => value(await scrape(), 'meshops_queue_jobs', { state: 'active' }), { timeout: 60_000 })
      .toBe(0);
    expect(
      m
        .get('meshops_queue_jobs')
        ?.metrics.map((s) => s.labels?.state)
        .sort(),
    ).toEqual(['active', 'active', 'delayed', 'delayed', 'prioritized', 'prioritized', 'waiting', 'waiting']);
    expect(value(m, 'meshops_aws_calls_total', { service: 'eks', operation: 'CreateCluster', outcome: 'ok' })).toBe(2);
    expect(value(m, 'meshops_aws_calls_total', { service: 'ec2', operation: 'DescribeVpcs' })).toBeGreaterThan(0);
    expect(value(m, 'meshops_kube_calls_total', { verb: 'patch' })).toBeGreaterThan(0);
    expect(value(m, 'meshops_kube_calls_total', { resource: 'pods/log' })).toBeGreaterThan(0);
    expect(value(m, 'meshops_slack_calls_total', { method: 'chat.postMessage', outcome: 'ok' })).toBeGreaterThan(0);
    expect(m.get('meshops_slack_rate_limited_total')?.type).toBe('COUNTER');
  });

  it('counts throttled AWS attempts and the call that failed after the retries', async () => {
    sb.cloud.faults.add({ service: 'ec2', rate: 1, kind: 'throttle', actions: ['DescribeNatGateways'] });
    try {
      await sb.run('status');
    } finally {
      sb.cloud.faults.clear();
    }
    const m = await scrape();
    const throttled = value(m, 'meshops_aws_throttled_attempts_total', {
      service: 'ec2',
      operation: 'DescribeNatGateways',
    });
    expect(throttled).toBeGreaterThanOrEqual(6); // every attempt the SDK made (maxAttempts 6)
    const failed = m
      .get('meshops_aws_calls_total')
      ?.metrics.filter((s) => s.labels?.operation === 'DescribeNatGateways' && s.labels?.outcome !== 'ok');
    expect(failed?.length).toBeGreaterThan(0);
  });
});

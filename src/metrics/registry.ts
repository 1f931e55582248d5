// Every Prometheus metric meshops exports, in one registry per process. Each source (jobs, queues, AWS,
// Kubernetes, Slack, the mesh's health) has its own small hook module next to this one; the names, labels
// and buckets live here so that the README's table and the code cannot drift apart (test/ops/metrics.test.ts).
import {
  AggregatorRegistry,
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  type MetricObjectWithValues,
  type MetricValue,
  Registry,
} from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'meshops_process_' });

// Jobs take seconds (status) to tens of minutes (up creates EKS control planes).
const JOB_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600];
const CALL_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export const jobsTotal = new Counter({
  name: 'meshops_jobs_total',
  help: 'Jobs finished, by command and outcome (succeeded, failed, cancelled, retried, handed_back).',
  labelNames: ['command', 'outcome'] as const,
  registers: [registry],
});
export const jobDuration = new Histogram({
  name: 'meshops_job_duration_seconds',
  help: 'Time a job ran in a worker, from start to its end, by command and outcome.',
  labelNames: ['command', 'outcome'] as const,
  buckets: JOB_BUCKETS,
  registers: [registry],
});
export const jobWait = new Histogram({
  name: 'meshops_job_wait_seconds',
  help: 'Time a job waited in the queue before a worker started it, by command.',
  labelNames: ['command'] as const,
  buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 1800, 3600],
  registers: [registry],
});
/** Read at scrape time; src/metrics/jobs.ts registers the queues of this process. */
export const queueDepthSources: Array<() => Promise<Array<{ queue: string; state: string; count: number }>>> = [];
// Registered with `registry`; nothing else needs a handle on it: its collect() reads the sources above.
new Gauge({
  name: 'meshops_queue_jobs',
  help: 'Jobs in a queue by state (waiting, active, delayed, prioritized), read from Redis at scrape time.',
  labelNames: ['queue', 'state'] as const,
  registers: [registry],
  async collect() {
    const all = await Promise.allSettled(queueDepthSources.map((read) => read()));
    for (const r of all)
      if (r.status === 'fulfilled') for (const c of r.value) this.set({ queue: c.queue, state: c.state }, c.count);
  },
});

export const awsCalls = new Counter({
  name: 'meshops_aws_calls_total',
  help: 'AWS API calls (after the SDK retries), by service, operation, region and outcome (ok or the error name).',
  labelNames: ['service', 'operation', 'region', 'outcome'] as const,
  registers: [registry],
});
export const awsThrottles = new Counter({
  name: 'meshops_aws_throttled_attempts_total',
  help: 'AWS attempts answered with throttling (each retry counts), by service, operation and region.',
  labelNames: ['service', 'operation', 'region'] as const,
  registers: [registry],
});
export const awsDuration = new Histogram({
  name: 'meshops_aws_call_duration_seconds',
  help: 'AWS API call time including the SDK retries, by service and operation.',
  labelNames: ['service', 'operation'] as const,
  buckets: CALL_BUCKETS,
  registers: [registry],
});

export const kubeCalls = new Counter({
  name: 'meshops_kube_calls_total',
  help: 'Kubernetes API requests, by cluster, verb, resource and HTTP code (0: no answer).',
  labelNames: ['cluster', 'verb', 'resource', 'code'] as const,
  registers: [registry],
});
export const kubeDuration = new Histogram({
  name: 'meshops_kube_call_duration_seconds',
  help: 'Kubernetes API request time, by verb.',
  labelNames: ['verb'] as const,
  buckets: CALL_BUCKETS,
  registers: [registry],
});

export const slackCalls = new Counter({
  name: 'meshops_slack_calls_total',
  help: 'Slack Web API calls, by method and outcome (ok or the Slack error code).',
  labelNames: ['method', 'outcome'] as const,
  registers: [registry],
});
export const slackRateLimited = new Counter({
  name: 'meshops_slack_rate_limited_total',
  help: 'HTTP 429 answers from Slack (the client waits Retry-After and tries again), by method.',
  labelNames: ['method'] as const,
  registers: [registry],
});

export const meshNodesReady = new Gauge({
  name: 'meshops_mesh_nodes_ready',
  help: 'Nodes Ready per cluster, at the last status pass.',
  labelNames: ['mesh', 'cluster', 'region'] as const,
  registers: [registry],
});
export const meshNodesDesired = new Gauge({
  name: 'meshops_mesh_nodes_desired',
  help: "The node group's desired size per cluster (the spec).",
  labelNames: ['mesh', 'cluster', 'region'] as const,
  registers: [registry],
});
export const meshTigeraAvailable = new Gauge({
  name: 'meshops_mesh_tigerastatus_available',
  help: 'TigeraStatus <component> Available (1) or not (0) per cluster, at the last status pass.',
  labelNames: ['mesh', 'cluster', 'component'] as const,
  registers: [registry],
});
export const meshSyncState = new Gauge({
  name: 'meshops_mesh_remote_cluster_connection_status',
  help:
    "Federation per ordered pair (destination reads source), in Tigera's numbering: 0 NotConnecting, 1 Connecting, " +
    '2 InSync, 3 ReSyncInProgress, 4 ConfigChangeRestartRequired, 5 ConfigInComplete.',
  labelNames: ['mesh', 'source', 'destination'] as const,
  registers: [registry],
});
export const meshRtt = new Gauge({
  name: 'meshops_mesh_ping_rtt_seconds',
  help: "Average ping round-trip time from one cluster's netshoot pod to the other cluster's first pod.",
  labelNames: ['mesh', 'from', 'to'] as const,
  registers: [registry],
});
export const meshPacketLoss = new Gauge({
  name: 'meshops_mesh_ping_packet_loss_ratio',
  help: 'Share of pings lost (0 to 1) on the same path.',
  labelNames: ['mesh', 'from', 'to'] as const,
  registers: [registry],
});
export const meshHourlyCost = new Gauge({
  name: 'meshops_mesh_hourly_cost_dollars',
  help: 'What the observed resources cost per hour (USD, list prices, traffic excluded).',
  labelNames: ['mesh'] as const,
  registers: [registry],
});
export const meshHealthTimestamp = new Gauge({
  name: 'meshops_mesh_status_timestamp_seconds',
  help: 'When the last status pass ended (Unix seconds): with several workers, the newest one holds the truth.',
  labelNames: ['mesh'] as const,
  registers: [registry],
});

type ThreadMetrics = () => Promise<MetricObjectWithValues<MetricValue<string>>[]>;
/** Other threads' registries (the worker thread of single-process mode, src/worker-thread.ts), read per scrape. */
const threads: ThreadMetrics[] = [];

/** Merges another thread's metrics into every scrape; returns the function that stops it. */
export function addThreadMetrics(read: ThreadMetrics): () => void {
  threads.push(read);
  return () => void threads.splice(threads.indexOf(read), 1);
}

/** The whole registry in Prometheus text format, with the other threads' series added up. */
export async function metricsText(): Promise<{ contentType: string; body: string }> {
  if (threads.length === 0) return { contentType: registry.contentType, body: await registry.metrics() };
  const all = await Promise.all([registry.getMetricsAsJSON(), ...threads.map((read) => read())]);
  return { contentType: registry.contentType, body: await AggregatorRegistry.aggregate(all).metrics() };
}

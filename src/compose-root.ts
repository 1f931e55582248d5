// The composition root: the one module of src/ that imports commands/ and jobs/ (the layers above src/) and
// wires them in: the command layer into the web role, the job handlers into the workers. Everything else in src/
// knows neither (.dependency-cruiser.cjs enforces it).
// Starts meshops from a validated configuration: the web role, the worker role, or both in one process.
// Returns a handle whose stop() is the SIGTERM path: workers stop at a safe point first, then the web server.
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { authorize } from '../commands/authorize.ts';
import { describeJob } from '../commands/describe-job.ts';
import { describeCommand, helpText, parseMeshCommand } from '../commands/parse.ts';
import { makeHandlers, makeWatchPass, preloadJobs } from '../jobs/index.ts';
import { type Clock, systemClock } from './clock.ts';
import type { AppConfig } from './config/env.ts';
import type { Deps } from './deps.ts';
import { createLogger } from './log.ts';
import { trackQueueDepth } from './metrics/jobs.ts';
import { type ProbeServer, startProbeServer } from './metrics/probe-server.ts';
import { metricsText } from './metrics/registry.ts';
import { instrumentSlack } from './metrics/slack.ts';
import type { JobName } from './queue/job-types.ts';
import { openQueues } from './queue/queues.ts';
import { type JobHandler, type RunningWorkers, startWorkers } from './queue/worker.ts';
import type { WebApp } from './slack/app.ts';
import { makeSlackClients } from './slack/client.ts';
import { makeSharedEditBudget } from './slack/shared-edit-budget.ts';
import { openWatch, type WatchControl } from './watch/schedule.ts';
import { startWatchWorker, type WatchWorker } from './watch/worker.ts';

export interface StartOverrides {
  log?: Logger;
  clock?: Clock;
  /** Queue name prefix; tests give each run its own. */
  prefix?: string;
  lockDurationMs?: number;
  deps?: Partial<Deps>;
  /** Replaces job handlers: pipeline tests that exercise queueing, not a job's own work. */
  handlers?: Partial<Record<JobName, JobHandler>>;
  /** false: a worker role serves no probe port (the worker thread of single-process mode: the web role does). */
  probes?: boolean;
  /**
   * Whether this process posts the anchors of asks that joined a status (src/queue/joined-anchors.ts); default:
   * where the web role runs. Single-process mode moves them from the web role's thread to the worker thread.
   */
  joinedAnchors?: boolean;
}

export interface Meshops {
  log: Logger;
  web?: WebApp;
  workers?: RunningWorkers;
  stop(): Promise<void>;
}

export async function startMeshops(config: AppConfig, overrides: StartOverrides = {}): Promise<Meshops> {
  const log = overrides.log ?? createLogger({ level: config.logLevel });
  const clock = overrides.clock ?? systemClock;
  const prefix = overrides.prefix ?? 'meshops';
  const onError = (err: Error) => log.warn({ err: { message: err.message } }, 'redis connection error');
  // Queueing, cancel and /readyz answer people: while Redis is down they fail after one reconnect attempt
  // ("could not queue", 503) instead of waiting in ioredis's offline queue until Redis is back.
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1 });
  redis.on('error', onError);
  const queues = await openQueues(redis, prefix, config.spec.name);
  const untrackQueues = trackQueueDepth([queues.changes, queues.reads]);
  const slackClients = makeSlackClients(
    config.slack.botToken,
    { apiUrl: config.slack.apiUrl, timeoutMs: config.slack.timeoutSeconds * 1000 },
    log,
  );
  instrumentSlack(slackClients.edits);
  const slack = instrumentSlack(slackClients.calls);
  // One budget for every chat.update of the app (progress, place in line, expiry), kept in Redis. On the
  // connection that fails fast: while Redis is down, edits use this process's budget at once.
  const editBudget = makeSharedEditBudget({ redis, prefix, log });

  // Roles load only what they use: a web-only process never loads the AWS SDK or the Kubernetes client; a worker
  // loads them, and the job code, right after it starts (they are most of its memory, but a worker is there to run
  // jobs, and the first one would otherwise wait for them).
  const runsJobs = config.role === 'worker' || config.role === 'all';
  // Workers wait out a Redis outage; BullMQ needs maxRetriesPerRequest null on the connections they block on.
  const workerRedis = runsJobs ? new Redis(config.redisUrl, { maxRetriesPerRequest: null }) : undefined;
  workerRedis?.on('error', onError);
  let deps: Promise<Deps> | undefined;
  const getDeps = () =>
    (deps ??= (async (): Promise<Deps> => {
      const aws =
        overrides.deps?.aws ??
        (await import('./aws/clients.ts')).makeAwsClients({
          callTimeoutMs: config.awsCallTimeoutSeconds * 1000,
        });
      const kube = overrides.deps?.kube ?? (await import('./kube/access.ts')).makeKubeAccess(aws, config.spec);
      return {
        spec: config.spec,
        aws,
        kube,
        calico: config.calico,
        clock,
        log,
        pollIntervalMs: overrides.deps?.pollIntervalMs ?? config.pollIntervalSeconds * 1000,
        kubePollIntervalMs: overrides.deps?.kubePollIntervalMs ?? config.kubePollIntervalSeconds * 1000,
        confirmTtlMs: config.confirmSeconds * 1000,
        ...overrides.deps,
      };
    })());

  let web: WebApp | undefined;
  let workers: RunningWorkers | undefined;
  let stopping: Promise<void> | undefined;
  // Home refreshes queued after a job's end; stop() cancels them so none runs on closed connections.
  const homeRefreshes = new Set<ReturnType<typeof setTimeout>>();
  // The health watch: its scheduler is set by up and /mesh watch (worker jobs), its passes run in this role.
  let watch: WatchControl | undefined;
  let watchWorker: WatchWorker | undefined;
  // The App Homes show jobs and the watch's incidents: refreshed when either changes. Cancelled by stop() so that
  // none runs on closed connections.
  const refreshHomesSoon = (delayMs: number) => {
    const timer = setTimeout(() => {
      homeRefreshes.delete(timer);
      if (stopping) return;
      void import('./slack/home.ts')
        .then(({ refreshHomes }) =>
          refreshHomes({
            client: slack,
            queues,
            redis,
            prefix,
            mesh: config.spec.name,
            admins: config.admins,
            channels: config.channels,
            describe: describeJob,
            log,
          }),
        )
        // A refresh that fails (Redis gone, Slack down) costs a stale Home tab, never the process.
        .catch((err: unknown) => log.warn({ err }, 'could not refresh the App Homes'));
    }, delayMs);
    homeRefreshes.add(timer);
  };
  if (runsJobs) {
    const mesh = config.spec.name;
    watch = openWatch({
      connection: workerRedis!,
      redis: workerRedis!,
      prefix,
      mesh,
      defaultEveryMs: config.watchIntervalSeconds * 1000,
    });
    watchWorker = startWatchWorker({
      connection: workerRedis!,
      prefix,
      mesh,
      pass: makeWatchPass(getDeps, watch, slack, () => refreshHomesSoon(0)),
      log: log.child({ role: 'watch' }),
    });
    workers = startWorkers({
      connection: workerRedis!,
      redis: workerRedis!,
      prefix,
      mesh: config.spec.name,
      handlers: { ...makeHandlers(getDeps, watch), ...overrides.handlers },
      slack,
      slackEdits: slackClients.edits,
      editBudget,
      // Shortly after: BullMQ records the job's outcome once the processor returns.
      onJobEnd: () => refreshHomesSoon(300),
      clock,
      log: log.child({ role: 'worker' }),
      readConcurrency: config.workerConcurrency,
      lockDurationMs: overrides.lockDurationMs ?? config.workerLockSeconds * 1000,
      describe: describeJob,
    });
    log.info({ mesh: config.spec.name, clusters: config.spec.clusters.map((c) => c.name) }, 'worker role started');
    void preloadJobs(getDeps).catch((err: unknown) => log.warn({ err }, 'could not preload the job code'));
  }
  const joinedAnchors =
    (overrides.joinedAnchors ?? config.role !== 'worker')
      ? (await import('./queue/joined-anchors.ts')).startJoinedAnchors({ redis, slack, prefix, log })
      : undefined;
  // A worker-only process still answers probes (and scrapes) on PORT; the web role serves them itself.
  let probes: ProbeServer | undefined;
  if (config.role === 'worker' && overrides.probes !== false)
    probes = await startProbeServer({ port: config.port, redis, log, metrics: metricsText });
  if (config.role === 'web' || config.role === 'all') {
    const { createWebApp } = await import('./slack/app.ts');
    web = createWebApp({
      commands: { parse: parseMeshCommand, authorize, describe: describeCommand, help: helpText },
      botToken: config.slack.botToken,
      signingSecret: config.slack.signingSecret ?? '',
      appToken: config.slack.appToken,
      slackApiUrl: config.slack.apiUrl,
      slackTimeoutMs: config.slack.timeoutSeconds * 1000,
      port: config.port,
      admins: config.admins,
      channels: config.channels,
      spec: config.spec,
      redis,
      log,
      enqueue: { queues, redis, prefix, mesh: config.spec.name, log, describe: describeJob, editBudget },
    });
    await web.start();
  }

  const stop = () =>
    (stopping ??= (async () => {
      // Each cleanup is guarded so that one failure does not skip the rest.
      const guard = async (what: string, fn: () => Promise<unknown>) => {
        try {
          await fn();
        } catch (err) {
          log.warn({ err, what }, 'shutdown step failed');
        }
      };
      if (workers) await guard('workers', () => workers!.close());
      if (watchWorker) await guard('watch', () => watchWorker!.close());
      if (watch) await guard('watch queue', () => watch!.close());
      for (const timer of homeRefreshes) clearTimeout(timer);
      homeRefreshes.clear();
      if (web) await guard('web', () => web!.stop());
      if (joinedAnchors) await guard('joined anchors', () => joinedAnchors.stop());
      if (probes) await guard('probes', () => probes!.stop());
      untrackQueues();
      await guard('queues', () => queues.close());
      // QUIT needs an answer; a connection that is down is just dropped.
      for (const r of [redis, workerRedis]) {
        if (r) await guard('redis', async () => (r.status === 'ready' ? r.quit() : r.disconnect()));
      }
      log.info('stopped');
    })());
  return { log, web, workers, stop };
}

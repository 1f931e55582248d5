// Single-process mode (ROLE=all, as `npm start` runs by default): the worker role runs in a worker thread of its
// own, so that its jobs (JSON, the AWS SDK, Kubernetes and Slack calls) run on another event loop than the web
// role that must ack within Slack's 3 seconds. The thread is src/worker-thread-main.ts; this side starts it,
// stops it first on SIGTERM (jobs hand back at a safe point) and merges its metrics into the web role's /metrics.
import { readdir, readFile } from 'node:fs/promises';
import { getPriority, setPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { AppConfig, Role } from './config/env.ts';
import { addThreadMetrics } from './metrics/registry.ts';

/** Messages from the thread (src/worker-thread-main.ts). */
export type FromThread =
  | { type: 'started' }
  | { type: 'stopped' }
  | { type: 'failed'; message: string }
  | { type: 'metrics'; id: number; metrics: MetricObjectWithValues<MetricValue<string>>[] };
/** Messages to the thread. */
export type ToThread = { type: 'stop' } | { type: 'metrics'; id: number };

/** The configuration as one role sees it; the rest (and its redacted form in logs) is the process's own. */
export function asRole(config: AppConfig, role: Role): AppConfig {
  return Object.create(config, { role: { value: role, enumerable: true } }) as AppConfig;
}

export interface WorkerThread {
  /** SIGTERM path: active jobs stop at their next safe point and go back to the queue, then the thread exits. */
  stop(): Promise<void>;
}

/**
 * Starts the worker role in its thread; resolves once its workers run. `onCrash` is called when the thread dies
 * on its own (an uncaught error): the process should then exit, as a worker-only process would.
 */
export async function startWorkerThread(opts: { log: Logger; onCrash(err: Error): void }): Promise<WorkerThread> {
  // The thread reads the same environment (a copy of process.env) and configuration as this one.
  const thread = new Worker(new URL('./worker-thread-main.ts', import.meta.url));
  let stopping = false;
  const metricWaits = new Map<number, (m: MetricObjectWithValues<MetricValue<string>>[]) => void>();
  let nextId = 0;
  const exited = new Promise<number>((resolve) => thread.once('exit', resolve));
  const started = new Promise<void>((resolve, reject) => {
    thread.on('message', (msg: FromThread) => {
      if (msg.type === 'started') resolve();
      else if (msg.type === 'failed') reject(new Error(`the worker thread could not start: ${msg.message}`));
      else if (msg.type === 'metrics') {
        metricWaits.get(msg.id)?.(msg.metrics);
        metricWaits.delete(msg.id);
      }
    });
    thread.once('error', reject);
    void exited.then((code) => reject(new Error(`the worker thread exited (code ${code}) before it started`)));
  });
  thread.on('error', (err) => opts.log.error({ err }, 'worker thread failed'));
  await started;
  await lowerPriority(opts.log);
  void exited.then((code) => {
    for (const answer of metricWaits.values()) answer([]);
    metricWaits.clear();
    if (!stopping) opts.onCrash(new Error(`the worker thread exited unexpectedly (code ${code})`));
  });
  const send = (msg: ToThread) => thread.postMessage(msg);
  const removeMetrics = addThreadMetrics(
    () =>
      new Promise((resolve) => {
        const id = nextId++;
        metricWaits.set(id, resolve);
        send({ type: 'metrics', id });
        // A thread busy for long still lets the scrape answer, without its figures.
        setTimeout(() => {
          if (metricWaits.delete(id)) resolve([]);
        }, 2000).unref();
      }),
  );
  return {
    stop: async () => {
      if (stopping) return void (await exited);
      stopping = true;
      removeMetrics();
      send({ type: 'stop' });
      await exited;
    },
  };
}

/**
 * On a busy CPU the kernel shares it by priority: the worker thread runs at a lower one (nice +5) than the web
 * role's, so that acks go first and jobs take what is left. Linux only (a thread is a task of /proc/self with
 * its own nice value); elsewhere both run at the process's priority.
 */
async function lowerPriority(log: Logger): Promise<void> {
  try {
    const base = getPriority();
    for (const tid of await readdir('/proc/self/task')) {
      // Node names the threads of worker_threads so; there is one here.
      if ((await readFile(`/proc/self/task/${tid}/comm`, 'utf8')).trim() !== 'WorkerThread') continue;
      setPriority(Number(tid), Math.min(19, base + 5));
      log.debug({ tid, nice: Math.min(19, base + 5) }, 'worker thread runs at a lower CPU priority');
    }
  } catch (err) {
    log.debug({ err }, 'worker thread priority left as is');
  }
}

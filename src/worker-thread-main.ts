// The worker thread of single-process mode (src/worker-thread.ts starts it): the worker role, configured from
// the same environment as the process, on an event loop of its own. It answers the main thread's messages: stop
// (the SIGTERM path) and metrics (merged into the web role's /metrics).
import { parentPort } from 'node:worker_threads';
import { pino } from 'pino';
import { startMeshops } from './compose-root.ts';
import { loadConfig } from './config/env.ts';
import { createLogger } from './log.ts';
import { registry } from './metrics/registry.ts';
import { returnHeapWhenQuiet } from './return-heap.ts';
import { asRole, type FromThread, type ToThread } from './worker-thread.ts';

const port = parentPort!;
const send = (msg: FromThread) => port.postMessage(msg);

try {
  const config = loadConfig();
  // Every line of this thread says so: the same process logs from two event loops. Both threads write whole
  // lines to fd 1 synchronously (src/main.ts too): batched writes from two threads could interleave mid-line, and
  // pino flushes a thread's buffered lines on exit only for the main thread.
  const destination = pino.destination({ dest: 1, sync: true });
  const log = createLogger({ level: config.logLevel, destination }).child({ thread: 'worker' });
  // The main thread serves the probes and /metrics on PORT; this thread posts the joiners' anchors for it.
  const meshops = await startMeshops(asRole(config, 'worker'), { log, probes: false, joinedAnchors: true });
  port.on('message', (msg: ToThread) => {
    if (msg.type === 'stop')
      void meshops.stop().then(() => {
        send({ type: 'stopped' });
        // Only this thread ends; idle keep-alive sockets of the SDKs would otherwise hold it open.
        process.exit(0);
      });
    else if (msg.type === 'metrics')
      void registry.getMetricsAsJSON().then((all) =>
        // Process-wide figures (CPU, memory, queue depth from Redis) come from the main thread once, not twice.
        send({
          type: 'metrics',
          id: msg.id,
          metrics: all.filter((m) => !m.name.startsWith('meshops_process_') && m.name !== 'meshops_queue_jobs'),
        }),
      );
  });
  // Its pauses delay jobs only, never an ack: collected while busy too, once its heap has grown by 128 MB.
  returnHeapWhenQuiet(log, { busyGrowthBytes: 128 * 2 ** 20 });
  send({ type: 'started' });
} catch (err) {
  send({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}

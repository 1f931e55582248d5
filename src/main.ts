// Entry point: `npm start`. Configuration comes from the environment and the mesh spec (src/config).
// ROLE=all runs the web role here and the worker role in a worker thread (src/worker-thread.ts): one process, two
// event loops, so that jobs never delay an ack.
import { pino } from 'pino';
import { type Meshops, startMeshops } from './compose-root.ts';
import { type AppConfig, ConfigError, loadConfig } from './config/env.ts';
import { createLogger } from './log.ts';
import { returnHeapWhenQuiet } from './return-heap.ts';
import { stopOnSignals } from './stop-on-signals.ts';
import { asRole, startWorkerThread } from './worker-thread.ts';

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError || (err instanceof Error && err.name === 'SpecError')) {
      process.stderr.write(`meshops cannot start:\n${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  // Two threads write to fd 1 in single-process mode: line by line, synchronously (src/worker-thread-main.ts).
  const destination = config.role === 'all' ? pino.destination({ dest: 1, sync: true }) : undefined;
  const log = createLogger({ level: config.logLevel, destination });
  log.info({ config: config.redacted() }, 'starting meshops');
  // This thread's; the worker thread watches its own (src/worker-thread-main.ts).
  returnHeapWhenQuiet(log);
  if (config.role !== 'all') return stopOnSignals(await startMeshops(config, { log }), log);
  // Workers first: a web role that queues before any worker runs is fine, the jobs wait in Redis.
  let web: Meshops | undefined;
  const worker = await startWorkerThread({
    log,
    onCrash: (err) => {
      // As a worker-only process would: exit, and let the supervisor start the process again.
      log.fatal({ err }, 'the worker thread died; exiting');
      void (web?.stop() ?? Promise.resolve()).finally(() => process.exit(1));
    },
  });
  // The joiners' anchors are posted by the worker thread (src/worker-thread-main.ts): no Slack call per joined
  // ask on the thread that acks.
  web = await startMeshops(asRole(config, 'web'), { log, joinedAnchors: false });
  const running = web;
  // SIGTERM: the worker's jobs stop at a safe point and go back to the queue first, then the web server closes.
  stopOnSignals({ stop: () => worker.stop().then(() => running.stop()) }, log);
}

main().catch((err: unknown) => {
  process.stderr.write(`meshops failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

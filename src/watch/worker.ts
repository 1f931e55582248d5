// The worker side of the watch: one BullMQ Worker on the mesh's watch queue that runs the pass the job layer hands
// in. It posts no job message of its own: a pass speaks only when an incident opens, grows or closes.
import { type ConnectionOptions, Worker } from 'bullmq';
import type { Logger } from 'pino';
import { type WatchPassData, watchQueueName } from './schedule.ts';

export interface WatchWorker {
  close(): Promise<void>;
}

export function startWatchWorker(opts: {
  connection: ConnectionOptions;
  prefix: string;
  mesh: string;
  pass: (log: Logger) => Promise<void>;
  log: Logger;
}): WatchWorker {
  const worker = new Worker<WatchPassData>(
    watchQueueName(opts.prefix, opts.mesh),
    async (job) => {
      const log = opts.log.child({ jobId: job.id, command: 'watch-pass' });
      try {
        await opts.pass(log);
      } catch (err) {
        log.error({ err }, 'watch pass failed');
        throw err;
      }
    },
    { connection: opts.connection, concurrency: 1 },
  );
  worker.on('error', (err) => opts.log.error({ err }, 'watch worker error'));
  return { close: () => worker.close() };
}

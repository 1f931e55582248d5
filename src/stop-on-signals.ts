// What SIGTERM and SIGINT do to a running meshops (src/main.ts installs it): active jobs stop at their next safe
// point and go back to the queue for another worker, the web server closes, then the process exits 0.
import type { Logger } from 'pino';
import type { Meshops } from './compose-root.ts';

export function stopOnSignals(meshops: Pick<Meshops, 'stop'>, log: Logger): void {
  const shutdown = (signal: string) => {
    log.info({ signal }, 'shutting down: active jobs stop at their next safe point');
    void meshops.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

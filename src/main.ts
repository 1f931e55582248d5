// Entry point: `npm start`. Configuration comes from the environment and the mesh spec (src/config).
import { startMeshops } from './compose-root.ts';
import { type AppConfig, ConfigError, loadConfig } from './config/env.ts';
import { createLogger } from './log.ts';
import { stopOnSignals } from './stop-on-signals.ts';

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
  const log = createLogger({ level: config.logLevel });
  log.info({ config: config.redacted() }, 'starting meshops');
  stopOnSignals(await startMeshops(config, { log }), log);
}

main().catch((err: unknown) => {
  process.stderr.write(`meshops failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});

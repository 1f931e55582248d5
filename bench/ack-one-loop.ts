// The ack benchmark's "worker thread off" side (BENCH_THREAD=off in bench/ack-latency.ts): ROLE=all as it ran
// before src/worker-thread.ts, the web and the worker role on one event loop, so that both can be measured.
import { startMeshops } from '../src/compose-root.ts';
import { loadConfig } from '../src/config/env.ts';
import { createLogger } from '../src/log.ts';
import { returnHeapWhenQuiet } from '../src/return-heap.ts';
import { stopOnSignals } from '../src/stop-on-signals.ts';

const config = loadConfig();
const log = createLogger({ level: config.logLevel });
returnHeapWhenQuiet(log);
stopOnSignals(await startMeshops(config, { log }), log);

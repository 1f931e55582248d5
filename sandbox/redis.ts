// A private redis-server on a free loopback port, for the sandbox and the tests (Debian's redis-server).
import { type ChildProcess, spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './aws/free-port.ts';

export { freePort };

export interface LocalRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startRedis(opts: { port?: number } = {}): Promise<LocalRedis> {
  // redis-server cannot be asked for a port of the kernel's choosing (0 turns TCP off), so a port is picked first,
  // and another server can take it before redis-server binds it. redis-server then exits, and the other one (often
  // another test's Redis) would answer the probe: Redis is ours only when it reports our child's process ID.
  for (let attempt = 1; ; attempt++) {
    const started = await startOn(opts.port ?? (await freePort()));
    if (started.ok) return started.redis;
    if (opts.port !== undefined || attempt === 3) throw new Error(started.why);
  }
}

type Start = { ok: true; redis: LocalRedis } | { ok: false; why: string };

async function startOn(port: number): Promise<Start> {
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (err) =>
      reject(new Error(`could not start redis-server (${err.message}); run \`npm run setup\` to install it`)),
    ),
  );
  const url = `redis://127.0.0.1:${port}`;
  const ready = (async (): Promise<Start> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) return { ok: false, why: `redis-server exited at start on port ${port} (in use?)` };
      const pid = await serverPid(url);
      if (pid === child.pid) return { ok: true, redis: { url, port, stop } };
      if (pid !== undefined) {
        await stop();
        return { ok: false, why: `port ${port} is taken by another Redis (pid ${pid})` };
      }
      if (Date.now() > deadline) {
        await stop();
        return { ok: false, why: `redis-server did not start on port ${port}` };
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return Promise.race([ready, spawnError]);
}

/** The process ID of the Redis answering at this URL, or undefined when none answers. */
async function serverPid(url: string): Promise<number | undefined> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    const pid = /^process_id:(\d+)/m.exec(await probe.info('server'))?.[1];
    return pid === undefined ? undefined : Number(pid);
  } catch {
    return undefined;
  } finally {
    probe.disconnect();
  }
}

/** True when a Redis answers at this URL. */
export async function redisAnswers(url: string): Promise<boolean> {
  const probe = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

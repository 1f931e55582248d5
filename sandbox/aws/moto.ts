// Starts moto's standalone server (the open-source AWS emulator) on loopback and stops it with its whole
// process group, so no python process outlives a test.
import { type ChildProcess, spawn } from 'node:child_process';

export interface MotoServer {
  endpoint: string;
  pid: number;
  stop(): Promise<void>;
}

const INSTALL_HINT =
  "moto is needed for the sandbox's AWS: this machine image's python3 has it; on a fresh machine run " +
  "`pip install 'moto[server]'`.";

// `python3 -m moto.server <args>`, plus a watchdog: moto exits when its stdin closes, i.e. when the Node
// process that started it is gone (killed by a test runner's timeout, Ctrl-C...), so no moto is orphaned.
const WATCHED_MOTO = [
  'import os, runpy, sys, threading',
  'def _watch():',
  '    while sys.stdin.buffer.read(1):',
  '        pass',
  '    os._exit(0)',
  'threading.Thread(target=_watch, daemon=True).start()',
  "sys.argv = ['moto_server'] + sys.argv[1:]",
  "runpy.run_module('moto.server', run_name='__main__', alter_sys=True)",
].join('\n');

export async function startMoto(
  opts: { python?: string; readyTimeoutMs?: number; log?: (line: string) => void } = {},
): Promise<MotoServer> {
  const python = opts.python ?? 'python3';
  // Port 0: moto's server binds a port of the kernel's choosing and prints it. A port picked beforehand could be
  // taken by another sandbox's server before moto binds it; moto would then exit, and that server (which answers
  // moto's paths through its own gateway) would be taken for this one, two sandboxes sharing one AWS.
  const child = spawn(python, ['-c', WATCHED_MOTO, '-H', '127.0.0.1', '-p', '0'], {
    // Nothing here launches instances: skipping moto's default AMI catalogue saves seconds and memory.
    env: { ...process.env, MOTO_IAM_LOAD_MANAGED_POLICIES: 'true', MOTO_EC2_LOAD_DEFAULT_AMIS: 'false' },
    // stdin stays open while we live: when it closes, moto exits (see WATCHED_MOTO).
    stdio: ['pipe', 'pipe', 'pipe'],
    // Its own process group: stop() kills werkzeug's children too.
    detached: true,
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, error }));
    // 'close', not 'exit': its output is all read by then, for the error message.
    child.once('close', (code) => resolve({ code }));
  });

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
  let endpoint: string | undefined;
  let ready: string | undefined;
  while (!ready) {
    const early = await Promise.race([exited, sleep(100).then(() => undefined)]);
    if (early) throw startError(python, early, output);
    // Werkzeug says where it listens once the socket is bound: " * Running on http://127.0.0.1:43981".
    endpoint ??= boundEndpoint(output);
    if (endpoint && (await answers(endpoint))) ready = endpoint;
    else if (Date.now() > deadline) {
      killGroup(child);
      throw new Error(
        `moto did not answer${endpoint ? ` on ${endpoint}` : ''} within ${opts.readyTimeoutMs ?? 30_000} ms. Output:\n${output}`,
      );
    }
  }
  opts.log?.(`moto listening on ${ready} (pid ${child.pid})`);
  return {
    endpoint: ready,
    pid: child.pid!,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      killGroup(child);
      const stopped = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
      if (!stopped) killGroup(child, 'SIGKILL');
    },
  };
}

/** The address moto's server printed once bound, or undefined before it has. */
export function boundEndpoint(output: string): string | undefined {
  const port = /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1];
  return port && port !== '0' ? `http://127.0.0.1:${port}` : undefined;
}

function startError(python: string, early: { code: number | null; error?: Error }, output: string): Error {
  if (early.error && (early.error as NodeJS.ErrnoException).code === 'ENOENT') {
    return new Error(`cannot start moto: '${python}' is not installed. ${INSTALL_HINT}`);
  }
  if (/No module named moto/.test(output) || /ModuleNotFoundError/.test(output)) {
    return new Error(`cannot start moto: ${python} has no moto module. ${INSTALL_HINT}\n${output.trim()}`);
  }
  return new Error(`moto exited at start (code ${early.code}). ${INSTALL_HINT}\nOutput:\n${output.trim()}`);
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // Already gone.
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Runs a command in a pod over the exec WebSocket (client-node's Exec) and collects what it printed and its exit
// code, which arrives on the status channel as a Status (Success, or NonZeroExitCode with an ExitCode cause).
import { Writable } from 'node:stream';
import { Exec, type KubeConfig } from '@kubernetes/client-node';

export interface ExecOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface ExecOptions {
  namespace: string;
  pod: string;
  container?: string;
  command: string[];
  timeoutMs?: number;
}

interface ExecStatus {
  status?: string;
  message?: string;
  reason?: string;
  details?: { causes?: Array<{ reason?: string; message?: string }> };
}

export function exitCodeOf(status: ExecStatus | undefined): number | undefined {
  if (!status) return undefined;
  if (status.status === 'Success') return 0;
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  if (cause?.message && /^\d+$/.test(cause.message)) return Number(cause.message);
  return undefined;
}

function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      cb();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

export async function execInPod(kc: KubeConfig, opts: ExecOptions): Promise<ExecOutput> {
  const out = collector();
  const err = collector();
  const timeoutMs = opts.timeoutMs ?? 30_000;
  let status: ExecStatus | undefined;
  const container = opts.container ?? '';
  const ws = await new Exec(kc).exec(
    opts.namespace,
    opts.pod,
    container,
    opts.command,
    out.stream,
    err.stream,
    null,
    false,
    (s) => {
      status = s as ExecStatus;
    },
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.close();
      reject(
        new Error(
          `\`${opts.command.join(' ')}\` in ${opts.namespace}/${opts.pod} did not finish within ${Math.round(timeoutMs / 1000)} s`,
        ),
      );
    }, timeoutMs);
    ws.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    ws.on('error', (e: Error) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  const exitCode = exitCodeOf(status);
  if (exitCode === undefined) {
    throw new Error(
      `exec in ${opts.namespace}/${opts.pod} ended without an exit status${status?.message ? `: ${status.message}` : ''}`,
    );
  }
  return { stdout: out.text(), stderr: err.text(), exitCode };
}

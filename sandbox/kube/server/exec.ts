// pods/exec over WebSocket, in the channel.k8s.io protocols kubectl (1.30+) and client-node speak (SPDY, what
// kubectl 1.27-1.29 use, is exec-spdy.ts):
// one byte of stream id then data; 1 stdout, 2 stderr, 3 error/status (JSON Status from v4), 255 close (v5).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { ClusterContext } from './context.ts';
import type { ResourceRequest } from './request-info.ts';
import { ApiError, badRequest, notFound } from './status.ts';

const SUPPORTED = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'channel.k8s.io'];
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;

export function createExecServer(): WebSocketServer {
  return new WebSocketServer({
    noServer: true,
    maxPayload: 1024 * 1024,
    handleProtocols: (protocols) => SUPPORTED.find((p) => protocols.has(p)) ?? false,
  });
}

/** Checks the request before upgrading: pod exists, is Running, and has the container; returns what to run. */
/** What the exec handler is asked to run, whichever protocol (WebSocket or SPDY) carried the request. */
export function execRequest(plan: ReturnType<typeof prepareExec>) {
  return {
    namespace: plan.namespace,
    pod: plan.pod,
    command: plan.command,
    ...(plan.container ? { container: plan.container } : {}),
  };
}

export function prepareExec(
  ctx: ClusterContext,
  info: ResourceRequest,
  url: URL,
): { namespace: string; pod: string; container?: string; command: string[]; stdout: boolean; stderr: boolean } {
  const namespace = info.namespace ?? '';
  const podName = info.name ?? '';
  const pod = ctx.store.get('', 'Pod', namespace, podName);
  if (!pod) throw notFound('', 'pods', podName);
  const containers = ((pod['spec'] as { containers?: Array<{ name: string }> } | undefined)?.containers ?? []).map(
    (c) => c.name,
  );
  const container = url.searchParams.get('container') ?? containers[0];
  if (container && !containers.includes(container))
    throw badRequest(`container ${container} is not valid for pod ${podName}`);
  const phase = (pod['status'] as { phase?: string } | undefined)?.phase;
  if (phase === 'Succeeded' || phase === 'Failed')
    throw badRequest(`cannot exec into a container in a completed pod; current phase is ${phase}`);
  if (phase !== 'Running') throw badRequest(`unable to upgrade connection: container not found ("${container ?? ''}")`);
  const command = url.searchParams.getAll('command');
  if (command.length === 0) throw badRequest('you must specify at least 1 command');
  if (!ctx.exec())
    throw new ApiError(
      500,
      'InternalError',
      'unable to upgrade connection: no container runtime answers in this cluster',
    );
  const out: {
    namespace: string;
    pod: string;
    container?: string;
    command: string[];
    stdout: boolean;
    stderr: boolean;
  } = {
    namespace,
    pod: podName,
    command,
    stdout: url.searchParams.get('stdout') !== 'false' && url.searchParams.get('output') !== 'false',
    stderr: url.searchParams.get('stderr') !== 'false' && url.searchParams.get('error') !== 'false',
  };
  if (container) out.container = container;
  return out;
}

/** The Status a v4+ client reads on the error stream when the command has ended. */
export function exitStatus(command: string[], exitCode: number): Record<string, unknown> {
  if (exitCode === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

function frame(channel: number, data: string | Buffer): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return Buffer.concat([Buffer.from([channel]), body]);
}

export function runExec(opts: {
  ctx: ClusterContext;
  wss: WebSocketServer;
  req: IncomingMessage;
  socket: Duplex;
  head: Buffer;
  plan: ReturnType<typeof prepareExec>;
}): void {
  const { ctx, wss, plan } = opts;
  wss.handleUpgrade(opts.req, opts.socket, opts.head, (ws: WebSocket) => {
    const protocol = ws.protocol;
    const statusChannel = protocol !== 'channel.k8s.io';
    // stdin frames (and v5's close of stdin) are read and dropped: the simulated commands take no input.
    ws.on('message', () => {});
    ws.on('error', () => ws.terminate());
    const handler = ctx.exec();
    const request = execRequest(plan);
    void (async () => {
      try {
        const result = handler
          ? await handler(request)
          : { stdout: '', stderr: 'no container runtime\n', exitCode: 126 };
        if (ws.readyState !== ws.OPEN) return;
        if (plan.stdout && result.stdout) ws.send(frame(STDOUT, result.stdout));
        if (plan.stderr && result.stderr) ws.send(frame(STDERR, result.stderr));
        if (statusChannel) ws.send(frame(ERROR, JSON.stringify(exitStatus(plan.command, result.exitCode))));
        else if (result.exitCode !== 0) {
          ws.send(frame(ERROR, `command terminated with non-zero exit code: exit status ${result.exitCode}`));
        }
      } catch (err) {
        if (ws.readyState === ws.OPEN) {
          const message = (err as Error).message;
          ws.send(
            frame(
              ERROR,
              statusChannel
                ? JSON.stringify({ metadata: {}, status: 'Failure', message, reason: 'InternalError', code: 500 })
                : message,
            ),
          );
        }
      } finally {
        if (ws.readyState === ws.OPEN) ws.close(1000);
      }
    })();
  });
}

/** Writes an HTTP error answer on a socket that asked to upgrade and will not be. */
export function rejectUpgrade(socket: Duplex, err: ApiError): void {
  const body = JSON.stringify(err.toStatus());
  const reason =
    { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error' }[
      err.code
    ] ?? 'Error';
  socket.end(
    `HTTP/1.1 ${err.code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

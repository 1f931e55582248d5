// pods/exec over SPDY/3.1, what kubectl 1.27 to 1.29 use by default (WebSocket only from 1.30, or 1.29 with
// KUBECTL_REMOTE_COMMAND_WEBSOCKETS=true): a POST that upgrades to SPDY/3.1, the remotecommand version chosen from
// the client's X-Stream-Protocol-Version headers, then one SPDY stream per channel the client opens, named by its
// `streamtype` header (error, stdin, stdout, stderr, resize). As the kubelet does, the command runs once every
// stream the query asked for is open; its output goes on stdout and stderr, the end (a JSON Status from v4 on, plain
// text before) on error, then every stream is closed. SPDY framing (zlib-compressed headers with SPDY/3's
// dictionary, flow control) is spdy-transport's.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import spdyTransport from 'spdy-transport';
import type { ClusterContext } from './context.ts';
import { execRequest, exitStatus, type prepareExec } from './exec.ts';
import { badRequest } from './status.ts';

/** Newest first, as the kubelet prefers them. */
const VERSIONS = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];

interface SpdyStream {
  headers: Record<string, string>;
  respond(status: number, headers: Record<string, string>): void;
  on(event: 'data' | 'error', cb: (arg: unknown) => void): void;
  write(data: string): void;
  end(data?: string): void;
}
interface SpdyConnection {
  start(version: number): void;
  on(event: 'stream', cb: (s: SpdyStream) => void): void;
  on(event: 'error', cb: (err: Error) => void): void;
  end(): void;
}
type HeaderCallback = (err: Error | null, headers?: Record<string, string>) => void;
interface SpdyParser {
  parseKVs(buffer: unknown, cb: HeaderCallback): void;
}
interface SpdyTransport {
  connection: { create(socket: Duplex, opts: { protocol: 'spdy'; isServer: true }): SpdyConnection };
}

// spdy-transport ships no types (spdy-transport.d.ts declares it untyped): the shape above is what is used of it.
const transport = spdyTransport as SpdyTransport;

/**
 * spdy-transport carries HTTP over SPDY and refuses a SYN_STREAM without `:method` and `:path`; remotecommand's
 * streams carry only their own headers (streamtype). This connection's parser gives them placeholders instead.
 */
function acceptBareStreams(conn: SpdyConnection): void {
  const parser = (conn as unknown as { _spdyState: { parser: SpdyParser } })._spdyState.parser;
  const parse = parser.parseKVs.bind(parser);
  parser.parseKVs = (buffer, cb) =>
    parse(buffer, (err, headers) => {
      if (!err && headers && headers[':method'] === undefined) {
        headers[':method'] = 'POST';
        headers[':path'] = '/';
      }
      cb(err, headers);
    });
}

export function isSpdyUpgrade(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').toLowerCase() === 'spdy/3.1';
}

/** The remotecommand version both sides speak; the API server refuses the upgrade when there is none. */
function negotiate(req: IncomingMessage): string {
  const raw = req.headersDistinct['x-stream-protocol-version'] ?? [];
  const offered = raw.flatMap((h) => h.split(',').map((v) => v.trim()));
  const chosen = offered.find((v) => VERSIONS.includes(v));
  if (!chosen) {
    throw badRequest(
      `unable to upgrade connection: unable to upgrade: unable to negotiate protocol: client supports ${JSON.stringify(offered)}, server supports ${JSON.stringify(VERSIONS)}`,
    );
  }
  return chosen;
}

export function runSpdyExec(opts: {
  ctx: ClusterContext;
  req: IncomingMessage;
  socket: Duplex;
  plan: ReturnType<typeof prepareExec>;
  stdin: boolean;
  tty: boolean;
}): void {
  const { ctx, req, socket, plan } = opts;
  const version = negotiate(req);
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n' +
      `X-Stream-Protocol-Version: ${version}\r\n\r\n`,
  );
  const conn = transport.connection.create(socket, { protocol: 'spdy', isServer: true });
  acceptBareStreams(conn);
  conn.start(3.1);
  conn.on('error', () => socket.destroy());
  const expected = new Set(['error']);
  if (plan.stdout) expected.add('stdout');
  if (plan.stderr) expected.add('stderr');
  if (opts.stdin) expected.add('stdin');
  if (opts.tty && version !== 'channel.k8s.io' && version !== 'v2.channel.k8s.io') expected.add('resize');
  const streams = new Map<string, SpdyStream>();
  let started = false;
  conn.on('stream', (stream) => {
    stream.respond(200, {});
    // stdin and resize data are read and dropped: the simulated commands take no input.
    stream.on('data', () => {});
    stream.on('error', () => socket.destroy());
    streams.set(stream.headers['streamtype'] ?? '', stream);
    if (started || ![...expected].every((t) => streams.has(t))) return;
    started = true;
    void execute(ctx, plan, version, streams).finally(() => setTimeout(() => conn.end(), 100).unref());
  });
}

async function execute(
  ctx: ClusterContext,
  plan: ReturnType<typeof prepareExec>,
  version: string,
  streams: Map<string, SpdyStream>,
): Promise<void> {
  const handler = ctx.exec();
  const request = execRequest(plan);
  const statusStream = version === 'v4.channel.k8s.io';
  let end = '';
  try {
    const result = handler ? await handler(request) : { stdout: '', stderr: 'no container runtime\n', exitCode: 126 };
    if (result.stdout) streams.get('stdout')?.write(result.stdout);
    if (result.stderr) streams.get('stderr')?.write(result.stderr);
    if (statusStream) end = JSON.stringify(exitStatus(plan.command, result.exitCode));
    else if (result.exitCode !== 0) end = `command terminated with non-zero exit code: exit status ${result.exitCode}`;
  } catch (err) {
    const message = (err as Error).message;
    end = statusStream
      ? JSON.stringify({ metadata: {}, status: 'Failure', message, reason: 'InternalError', code: 500 })
      : message;
  }
  for (const [type, stream] of streams) if (type !== 'error') stream.end();
  streams.get('error')?.end(end || undefined);
}

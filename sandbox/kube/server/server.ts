// One API stand-in: an HTTPS server on 127.0.0.1 speaking the Kubernetes REST API over one object store.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type {
  ClusterPlacement,
  EksTokenVerifier,
  ExecHandler,
  PodHttpHandler,
  SimClusterHandle,
  UserInfo,
} from '../../contracts.ts';
import { PodLogStore } from '../logs.ts';
import { ObjectStore } from '../store.ts';
import { ClusterIpAllocator } from './admission.ts';
import { type Authenticator, createAuthenticator } from './auth.ts';
import { registerBuiltins } from './builtins.ts';
import { makeServingCerts } from './certs.ts';
import type { ClusterContext } from './context.ts';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, versionInfo } from './discovery.ts';
import { EventHub } from './events.ts';
import { createExecServer, prepareExec, rejectUpgrade, runExec } from './exec.ts';
import { isSpdyUpgrade, runSpdyExec } from './exec-spdy.ts';
import { GarbageCollector } from './gc.ts';
import { sendJson, sendText } from './http-util.ts';
import { openApiV3GroupVersion, openApiV3Root } from './openapi.ts';
import { OPENAPI_V2_PROTOBUF, openApiV2Json, openApiV2Protobuf } from './openapi-v2.ts';
import { authorizeNonResource, createAuthorizer, forbiddenMessage } from './rbac.ts';
import { Registry } from './registry.ts';
import { type ResourceRequest, resolveRequest } from './request-info.ts';
import { handleRest } from './rest.ts';
import { seedCluster } from './seed.ts';
import { ApiError, pageNotFound, unauthorized } from './status.ts';
import { TokenIssuer } from './tokens.ts';

export interface ApiServer {
  handle: SimClusterHandle;
  /** Controllers' exec handler; set once they are installed. */
  setExecHandler(handler: ExecHandler | undefined): void;
  setPodHttpHandler(handler: PodHttpHandler | undefined): void;
  close(): Promise<void>;
}

/** Paths anyone may read without credentials (system:public-info-viewer). */
const PUBLIC_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz']);

export async function startApiServer(
  placement: ClusterPlacement,
  opts: { verifyEksToken: EksTokenVerifier },
): Promise<ApiServer> {
  const certs = await makeServingCerts(placement.name);
  const store = new ObjectStore();
  const registry = new Registry();
  registerBuiltins(registry);
  const hub = new EventHub(store);
  const gc = new GarbageCollector(store, hub, registry);
  seedCluster(store);
  let execHandler: ExecHandler | undefined;
  let podHttpHandler: PodHttpHandler | undefined;
  const authorize = createAuthorizer(store);
  const ctx: ClusterContext = {
    placement,
    store,
    logs: new PodLogStore(),
    registry,
    hub,
    gc,
    ips: new ClusterIpAllocator(),
    tokens: new TokenIssuer(),
    authorize,
    exec: () => execHandler,
    execs: new Map(),
    podHttp: () => podHttpHandler,
  };
  const authenticate = createAuthenticator({
    store,
    clusterName: placement.name,
    verifyEksToken: opts.verifyEksToken,
    tokens: ctx.tokens,
  });
  const wss = createExecServer();

  const server: Server = createServer(
    { cert: certs.certPem, key: certs.keyPem, keepAliveTimeout: 30_000 },
    (req, res) => {
      handleRequest(ctx, authenticate, req, res, serverAddress()).catch((err: unknown) => sendError(res, err));
    },
  );
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    handleUpgrade(ctx, authenticate, wss, req, socket, head).catch((err: unknown) => {
      rejectUpgrade(socket, err instanceof ApiError ? err : new ApiError(500, 'InternalError', (err as Error).message));
    });
  });
  // Watches are long-lived: no request timeout.
  server.requestTimeout = 0;
  server.headersTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const serverAddress = (): string => `127.0.0.1:${port}`;

  const handle: SimClusterHandle = {
    placement,
    store,
    logs: ctx.logs,
    api: registry,
    authorize,
    endpoint: `https://127.0.0.1:${port}`,
    caPem: certs.caPem,
    execCount: (command) =>
      command === undefined ? [...ctx.execs.values()].reduce((a, b) => a + b, 0) : (ctx.execs.get(command) ?? 0),
  };
  return {
    handle,
    setExecHandler: (h) => {
      execHandler = h;
    },
    setPodHttpHandler: (h) => {
      podHttpHandler = h;
    },
    close: async () => {
      gc.stop();
      hub.close();
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function sendError(res: ServerResponse, err: unknown): void {
  const apiError =
    err instanceof ApiError
      ? err
      : new ApiError(500, 'InternalError', `Internal error occurred: ${(err as Error)?.message ?? String(err)}`);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, apiError.code, apiError.toStatus());
}

async function authenticated(authenticate: Authenticator, req: IncomingMessage): Promise<UserInfo> {
  const user = await authenticate(req.headers.authorization);
  if (!user) throw unauthorized();
  return user;
}

function authorizeResource(ctx: ClusterContext, user: UserInfo, info: ResourceRequest): void {
  const access = {
    verb: info.verb,
    group: info.group,
    resource: info.subresource ? `${info.resource}/${info.subresource}` : info.resource,
    ...(info.namespace !== undefined ? { namespace: info.namespace } : {}),
    ...(info.name !== undefined ? { name: info.name } : {}),
  };
  // Namespace objects are authorized within themselves, so a RoleBinding in "x" may grant get on namespace "x".
  if (info.resource === 'namespaces' && info.group === '' && info.name && access.namespace === undefined) {
    if (ctx.authorize(user, { ...access, namespace: info.name })) return;
  }
  if (!ctx.authorize(user, access))
    throw new ApiError(403, 'Forbidden', forbiddenMessage(user, access), {
      ...(info.name ? { name: info.name } : {}),
      group: info.group,
      kind: info.resource,
    });
}

async function handleRequest(
  ctx: ClusterContext,
  authenticate: Authenticator,
  req: IncomingMessage,
  res: ServerResponse,
  serverAddress: string,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://127.0.0.1');
  const method = req.method ?? 'GET';
  const info = resolveRequest(method, url);
  if (info.kind === 'nonresource') {
    if (!PUBLIC_PATHS.has(info.path)) {
      const user = await authenticated(authenticate, req);
      if (!authorizeNonResource(ctx.store, user, { verb: info.verb, path: info.path })) {
        throw new ApiError(
          403,
          'Forbidden',
          `forbidden: User "${user.username}" cannot ${info.verb} path "${info.path}"`,
        );
      }
    }
    return serveNonResource(ctx, info.path, method, res, serverAddress, req.headers.accept ?? '');
  }
  const user = await authenticated(authenticate, req);
  const resource = ctx.registry.byPlural(info.group, info.version, info.resource);
  authorizeResource(ctx, user, info);
  if (!resource) throw pageNotFound();
  await handleRest({ ctx, info, resource, url, user, req, res });
}

function serveNonResource(
  ctx: ClusterContext,
  path: string,
  method: string,
  res: ServerResponse,
  serverAddress: string,
  accept: string,
): void {
  if (method !== 'GET' && method !== 'HEAD')
    throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  if (path === '/healthz' || path === '/livez' || path === '/readyz') return sendText(res, 200, 'ok');
  if (path === '/version') return sendJson(res, 200, versionInfo(ctx.placement));
  if (path === '/api') return sendJson(res, 200, apiVersions(serverAddress));
  if (path === '/apis') return sendJson(res, 200, apiGroupList(ctx.registry));
  if (path === '/openapi/v3') return sendJson(res, 200, openApiV3Root(ctx.registry));
  if (path === '/openapi/v2') {
    if (!accept.includes('protobuf')) return sendJson(res, 200, openApiV2Json(ctx.registry));
    const body = openApiV2Protobuf(ctx.registry);
    res.writeHead(200, { 'content-type': OPENAPI_V2_PROTOBUF, 'content-length': body.length });
    res.end(body);
    return;
  }
  const parts = path.split('/').filter(Boolean);
  if (parts[0] === 'openapi' && parts[1] === 'v3') {
    const doc =
      parts[2] === 'api' && parts.length === 4
        ? openApiV3GroupVersion(ctx.registry, '', parts[3]!)
        : parts[2] === 'apis' && parts.length === 5
          ? openApiV3GroupVersion(ctx.registry, parts[3]!, parts[4]!)
          : undefined;
    if (doc) return sendJson(res, 200, doc);
  }
  if (parts[0] === 'api' && parts.length === 2) {
    const list = apiResourceList(ctx.registry, '', parts[1]!);
    if (list) return sendJson(res, 200, list);
  }
  if (parts[0] === 'apis' && parts.length === 2) {
    const group = apiGroup(ctx.registry, parts[1]!);
    if (group) return sendJson(res, 200, group);
  }
  if (parts[0] === 'apis' && parts.length === 3) {
    const list = apiResourceList(ctx.registry, parts[1]!, parts[2]!);
    if (list) return sendJson(res, 200, list);
  }
  throw pageNotFound();
}

async function handleUpgrade(
  ctx: ClusterContext,
  authenticate: Authenticator,
  wss: ReturnType<typeof createExecServer>,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://127.0.0.1');
  const info = resolveRequest(req.method ?? 'GET', url);
  const user = await authenticated(authenticate, req);
  if (info.kind !== 'resource' || info.resource !== 'pods' || info.group !== '' || info.subresource !== 'exec')
    throw pageNotFound();
  authorizeResource(ctx, user, info);
  const plan = prepareExec(ctx, info, url);
  const command = plan.command[0] ?? '';
  ctx.execs.set(command, (ctx.execs.get(command) ?? 0) + 1);
  if (isSpdyUpgrade(req)) {
    const flag = (name: string) => ['true', '1'].includes(url.searchParams.get(name) ?? '');
    return runSpdyExec({ ctx, req, socket, plan, stdin: flag('stdin') || flag('input'), tty: flag('tty') });
  }
  if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
    throw new ApiError(400, 'BadRequest', 'unable to upgrade connection: upgrade to SPDY/3.1 or websocket');
  }
  runExec({ ctx, wss, req, socket, head, plan });
}

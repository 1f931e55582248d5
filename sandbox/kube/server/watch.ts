// Watches: newline-delimited JSON events (ADDED/MODIFIED/DELETED, BOOKMARK on request, ERROR 410 when the
// asked-for resourceVersion is no longer remembered), as client-go, client-node and `kubectl get -w` read them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../store.ts';
import type { ClusterContext } from './context.ts';
import type { HubEvent } from './events.ts';
import type { ServedResource } from './registry.ts';
import type { Matcher } from './selectors.ts';
import { ApiError } from './status.ts';
import { toTable } from './tables.ts';
import { asVersion, groupVersion } from './versioning.ts';

const DEFAULT_TIMEOUT_S = 30 * 60;
const BOOKMARK_EVERY_MS = 10_000;

export function serveWatch(opts: {
  ctx: ClusterContext;
  resource: ServedResource;
  namespace: string | undefined;
  matches: Matcher;
  url: URL;
  table: boolean;
  req: IncomingMessage;
  res: ServerResponse;
}): void {
  const { ctx, resource, namespace, matches, url, res } = opts;
  const rvParam = url.searchParams.get('resourceVersion') ?? '';
  const timeoutS = Number(url.searchParams.get('timeoutSeconds') ?? DEFAULT_TIMEOUT_S) || DEFAULT_TIMEOUT_S;
  const bookmarks = url.searchParams.get('allowWatchBookmarks') === 'true';

  const relevant = (group: string, obj: KubeObject): boolean =>
    group === resource.group &&
    obj.kind === resource.kind &&
    (namespace === undefined || obj.metadata.namespace === namespace) &&
    matches(obj);

  let replay: HubEvent[];
  let startRv: number;
  if (rvParam === '' || rvParam === '0' || url.searchParams.get('sendInitialEvents') === 'true') {
    startRv = Number(ctx.store.resourceVersion);
    replay = ctx.store
      .list(resource.group, resource.kind, namespace)
      .filter(matches)
      .map((object) => ({ type: 'ADDED' as const, object, rv: startRv, group: resource.group }));
  } else {
    startRv = Number(rvParam);
    const since = ctx.hub.since(startRv);
    if (!since) {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
      const gone = new ApiError(
        410,
        'Expired',
        `too old resource version: ${rvParam} (${ctx.store.resourceVersion})`,
      ).toStatus();
      res.end(JSON.stringify({ type: 'ERROR', object: gone }) + '\n');
      return;
    }
    replay = since.filter((e) => relevant(e.group, e.object));
  }

  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Transfer-Encoding': 'chunked',
    'Cache-Control': 'no-cache, private',
  });
  res.flushHeaders();
  let first = true;
  const render = (obj: KubeObject): unknown => {
    const includeObject = url.searchParams.get('includeObject') ?? 'Object';
    const versioned = asVersion(obj, resource);
    if (!opts.table) return versioned;
    const t = toTable(resource, [versioned], {
      resourceVersion: versioned.metadata.resourceVersion ?? '',
      includeObject,
      withColumns: first,
    });
    first = false;
    return t;
  };
  const send = (type: string, obj: KubeObject): void => {
    res.write(JSON.stringify({ type, object: render(obj) }) + '\n');
  };
  for (const item of replay) send(item.type, structuredClone(item.object));
  // Streaming lists (client-go's WatchList): the end of the initial state is marked by an annotated BOOKMARK.
  if (url.searchParams.get('sendInitialEvents') === 'true') {
    const marker = {
      kind: resource.kind,
      apiVersion: groupVersion(resource),
      metadata: { resourceVersion: String(startRv), annotations: { 'k8s.io/initial-events-end': 'true' } },
    };
    res.write(JSON.stringify({ type: 'BOOKMARK', object: marker }) + '\n');
  }
  // What the client currently sees, so an object that stops matching the selectors is reported DELETED and
  // one that starts matching ADDED, as the API server's watch cache does.
  const visible = new Set(
    ctx.store
      .list(resource.group, resource.kind, namespace)
      .filter(matches)
      .map((o) => o.metadata.uid),
  );
  let lastRv = startRv;
  const stop = ctx.hub.listen((e) => {
    if (e.rv <= startRv) return;
    lastRv = Math.max(lastRv, e.rv);
    if (e.group !== resource.group || e.object.kind !== resource.kind) return;
    if (namespace !== undefined && e.object.metadata.namespace !== namespace) return;
    const uid = e.object.metadata.uid;
    const wasVisible = visible.has(uid);
    const nowVisible = e.type !== 'DELETED' && matches(e.object);
    if (nowVisible) visible.add(uid);
    else visible.delete(uid);
    if (e.type === 'DELETED') {
      if (wasVisible || matches(e.object)) send('DELETED', structuredClone(e.object));
    } else if (nowVisible) send(wasVisible ? 'MODIFIED' : 'ADDED', structuredClone(e.object));
    else if (wasVisible) send('DELETED', structuredClone(e.object));
  });
  const bookmarkTimer = bookmarks
    ? setInterval(() => {
        const rv = String(Math.max(lastRv, Number(ctx.store.resourceVersion)));
        res.write(
          JSON.stringify({
            type: 'BOOKMARK',
            object: { kind: resource.kind, apiVersion: groupVersion(resource), metadata: { resourceVersion: rv } },
          }) + '\n',
        );
      }, BOOKMARK_EVERY_MS)
    : undefined;
  const finish = (): void => {
    stop();
    clearTimeout(timeout);
    if (bookmarkTimer) clearInterval(bookmarkTimer);
    if (!res.writableEnded) res.end();
  };
  const timeout = setTimeout(finish, timeoutS * 1000);
  opts.req.on('close', finish);
  res.on('close', finish);
}

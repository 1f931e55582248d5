// GET pods/{name}/log: text from the stand-in's PodLogStore, with kubectl's tailLines/sinceSeconds/timestamps.
import type { ServerResponse } from 'node:http';
import type { LogLine } from '../logs.ts';
import type { ClusterContext } from './context.ts';
import { badRequest, notFound } from './status.ts';

const FOLLOW_POLL_MS = 250;

export function serveLogs(ctx: ClusterContext, namespace: string, name: string, url: URL, res: ServerResponse): void {
  const pod = ctx.store.get('', 'Pod', namespace, name);
  if (!pod) throw notFound('', 'pods', name);
  const containers = ((pod['spec'] as { containers?: Array<{ name: string }> } | undefined)?.containers ?? []).map(
    (c) => c.name,
  );
  const container = url.searchParams.get('container');
  if (container && !containers.includes(container)) {
    throw badRequest(`container ${container} is not valid for pod ${name}`);
  }
  const num = (key: string): number | undefined => {
    const v = url.searchParams.get(key);
    return v === null || v === '' ? undefined : Number(v);
  };
  const lines = ctx.logs.read(namespace, name, { tailLines: num('tailLines'), sinceSeconds: num('sinceSeconds') });
  const limitBytes = num('limitBytes');
  const timestamps = url.searchParams.get('timestamps') === 'true';
  const render = (list: LogLine[]): string =>
    list.map((l) => (timestamps ? `${new Date(l.at).toISOString()} ${l.text}` : l.text) + '\n').join('');
  let text = render(lines);
  if (limitBytes !== undefined) text = Buffer.from(text).subarray(0, limitBytes).toString('utf8');
  if (url.searchParams.get('follow') !== 'true') {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
    return;
  }
  followLogs(ctx, namespace, name, lines[lines.length - 1], text, render, res);
}

/** `kubectl logs -f`: what is there, then new lines as they come, until the client leaves or the pod goes. */
function followLogs(
  ctx: ClusterContext,
  namespace: string,
  name: string,
  last: LogLine | undefined,
  first: string,
  render: (l: LogLine[]) => string,
  res: ServerResponse,
): void {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
  if (first) res.write(first);
  let lastSent = last;
  const timer = setInterval(() => {
    if (!ctx.store.get('', 'Pod', namespace, name)) {
      stop();
      return;
    }
    const all = ctx.logs.read(namespace, name);
    const idx = lastSent ? all.indexOf(lastSent) : -1;
    const fresh = idx >= 0 ? all.slice(idx + 1) : all.filter((l) => !lastSent || l.at > lastSent.at);
    if (fresh.length === 0) return;
    lastSent = fresh[fresh.length - 1];
    res.write(render(fresh));
  }, FOLLOW_POLL_MS);
  const stop = (): void => {
    clearInterval(timer);
    if (!res.writableEnded) res.end();
  };
  res.on('close', stop);
}

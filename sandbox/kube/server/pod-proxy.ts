// GET pods/{name}:{port}/proxy/{path}: the API server reaching a container's port, as `kubectl get --raw` and
// Prometheus-style scrapes through the API do. What a pod serves comes from the controllers (PodHttpHandler).
import type { ServerResponse } from 'node:http';
import type { ClusterContext } from './context.ts';
import { ApiError, badRequest, notFound } from './status.ts';

function unreachable(ip: string, port: number, path: string, why: string): ApiError {
  return new ApiError(
    503,
    'ServiceUnavailable',
    `error trying to reach service: dial tcp ${ip}:${port}: ${why}; trying to reach: 'http://${ip}:${port}/${path}'`,
  );
}

export async function servePodProxy(
  ctx: ClusterContext,
  namespace: string,
  nameAndPort: string,
  path: string,
  res: ServerResponse,
): Promise<void> {
  const m = /^([^:]+)(?::(\d+))?$/.exec(nameAndPort);
  if (!m) throw badRequest(`invalid pod name and port: ${nameAndPort}`);
  const name = m[1]!;
  const port = m[2] ? Number(m[2]) : 80;
  const pod = ctx.store.get('', 'Pod', namespace, name);
  if (!pod) throw notFound('', 'pods', name);
  const status = pod['status'] as { phase?: string; podIP?: string } | undefined;
  const ip = status?.podIP ?? '';
  if (!ip || status?.phase !== 'Running') throw unreachable(ip || '<none>', port, path, 'connect: no route to host');
  const answer = await ctx.podHttp()?.({ namespace, pod: name, port, path });
  if (!answer) throw unreachable(ip, port, path, 'connect: connection refused');
  res.writeHead(answer.status, {
    'Content-Type': answer.contentType ?? 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(answer.body),
  });
  res.end(answer.body);
}

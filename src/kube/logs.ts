// Reads a pod's log (the API's pods/log subresource), e.g. calico-typha's lines about remote clusters.
import type { KubeConfig } from '@kubernetes/client-node';
import { kubeRequest } from './rest.ts';

export interface LogQuery {
  namespace: string;
  pod: string;
  container?: string;
  tailLines?: number;
  sinceSeconds?: number;
}

export async function readPodLog(kc: KubeConfig, q: LogQuery): Promise<string[]> {
  const text = await kubeRequest<string>(kc, {
    method: 'GET',
    path: `/api/v1/namespaces/${encodeURIComponent(q.namespace)}/pods/${encodeURIComponent(q.pod)}/log`,
    query: { container: q.container, tailLines: q.tailLines, sinceSeconds: q.sinceSeconds },
    text: true,
  });
  return text.split('\n').filter((l) => l.length > 0);
}

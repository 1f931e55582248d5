// When each cluster's API server last answered a request through a KubeConfig. An answer over TLS checked against
// the KubeConfig's CA proves that the cluster still exists at that endpoint, so a caller asking for the cluster's
// access moments later need not ask EKS again (src/kube/access.ts).
import type { KubeConfig } from '@kubernetes/client-node';

const answeredAt = new WeakMap<KubeConfig, number>();

export function noteAnswer(kc: KubeConfig, at: number): void {
  answeredAt.set(kc, at);
}

/** When the API server behind `kc` last answered (any HTTP status), or undefined when it never has. */
export function lastAnswer(kc: KubeConfig): number | undefined {
  return answeredAt.get(kc);
}

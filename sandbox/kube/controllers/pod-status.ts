// Reading pod state the way kubectl does: Ready condition, phase, IPs.
import type { KubeObject } from '../store.ts';

export interface PodSpecLite {
  nodeName?: string;
  hostNetwork?: boolean;
  hostname?: string;
  subdomain?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: Array<{ key?: string; operator?: string; value?: string; effect?: string }>;
  containers?: Array<{
    name: string;
    image?: string;
    ports?: Array<{ name?: string; containerPort: number; protocol?: string }>;
  }>;
  initContainers?: Array<{ name: string; image?: string }>;
}

export interface PodStatusLite {
  phase?: string;
  podIP?: string;
  hostIP?: string;
  startTime?: string;
  conditions?: Array<{ type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }>;
}

export function podSpec(pod: KubeObject): PodSpecLite {
  return (pod.spec ?? {}) as PodSpecLite;
}

export function podStatus(pod: KubeObject): PodStatusLite {
  return (pod.status ?? {}) as PodStatusLite;
}

export function isPodReady(pod: KubeObject): boolean {
  const s = podStatus(pod);
  return s.phase === 'Running' && (s.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

export function isPodRunning(pod: KubeObject): boolean {
  return podStatus(pod).phase === 'Running';
}

export function tolerates(pod: KubeObject, taint: { key: string; effect: string; value?: string }): boolean {
  return (podSpec(pod).tolerations ?? []).some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.operator === 'Exists') return !t.key || t.key === taint.key;
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
  });
}

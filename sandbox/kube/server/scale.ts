// The scale subresource (autoscaling/v1 Scale) of Deployments, StatefulSets and ReplicaSets.
import type { KubeObject } from '../store.ts';

type Rec = Record<string, unknown>;

export function toScale(obj: KubeObject): KubeObject {
  const spec = (obj['spec'] ?? {}) as Rec;
  const status = (obj['status'] ?? {}) as Rec;
  const matchLabels = ((spec['selector'] ?? {}) as Rec)['matchLabels'] as Record<string, string> | undefined;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: spec['replicas'] ?? 1 },
    status: {
      replicas: status['replicas'] ?? 0,
      selector: Object.entries(matchLabels ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
    },
  };
}

/** Writes a Scale's spec.replicas back into the object it scales. */
export function fromScale(obj: KubeObject, scale: KubeObject): KubeObject {
  const replicas = ((scale['spec'] ?? {}) as Rec)['replicas'];
  const next = structuredClone(obj);
  next['spec'] = { ...((next['spec'] ?? {}) as Rec), replicas: typeof replicas === 'number' ? replicas : 0 };
  return next;
}

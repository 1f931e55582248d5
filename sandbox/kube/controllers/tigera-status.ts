// TigeraStatus objects (operator.tigera.io/v1, cluster-scoped): what `kubectl get tigerastatus` shows.
import type { ControllerContext } from './runtime.ts';
import { isoNow } from './util.ts';

export type ComponentState = 'available' | 'progressing' | 'degraded';

export function setTigeraStatus(
  ctx: ControllerContext,
  name: string,
  state: ComponentState,
  reason: string,
  message: string,
  observedGeneration = 1,
): void {
  const now = ctx.now();
  const existing = ctx.store.get('operator.tigera.io', 'TigeraStatus', undefined, name);
  const prev = ((existing?.status as { conditions?: Array<Record<string, unknown>> } | undefined)?.conditions ??
    []) as Array<Record<string, unknown>>;
  const cond = (type: string, on: boolean) => {
    const status = on ? 'True' : 'False';
    const old = prev.find((c) => c.type === type);
    const r = state === 'available' ? 'AllObjectsAvailable' : reason;
    const m = state === 'available' ? 'All Objects Available' : on || type === 'Available' ? message : '';
    return {
      type,
      status,
      reason: r,
      message: m,
      lastTransitionTime: old && old.status === status ? old.lastTransitionTime : isoNow(now),
      observedGeneration,
    };
  };
  const conditions = [
    cond('Available', state === 'available'),
    cond('Progressing', state === 'progressing'),
    cond('Degraded', state === 'degraded'),
  ];
  if (!existing) {
    ctx.store.create({
      apiVersion: 'operator.tigera.io/v1',
      kind: 'TigeraStatus',
      metadata: { name },
      spec: {},
      status: { conditions },
    });
    return;
  }
  ctx.patchIfChanged(existing, (o) => {
    o.status = { conditions };
  });
}

// kube-controller-manager's EndpointSlice controllers, as far as the mesh needs them: every Endpoints object of a
// Service is mirrored into one EndpointSlice per subset (discovery.k8s.io/v1, label kubernetes.io/service-name),
// by the endpointslice controller for Services with a selector and by the endpointslice-mirroring controller for
// selector-less ones (Calico's federated Services). Endpoints v1 is deprecated from Kubernetes 1.33 on.
import type { KubeObject } from '../store.ts';
import type { ControllerContext, Reconciler } from './runtime.ts';
import { type EndpointAddress, type EndpointSubset, svcSpec } from './services.ts';

const MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
const SERVICE_NAME = 'kubernetes.io/service-name';
const CONTROLLERS = ['endpointslice-controller.k8s.io', 'endpointslicemirroring-controller.k8s.io'];

function endpoint(a: EndpointAddress, ready: boolean) {
  return {
    addresses: [a.ip],
    conditions: { ready, serving: ready, terminating: false },
    ...(a.hostname ? { hostname: a.hostname } : {}),
    ...(a.nodeName ? { nodeName: a.nodeName } : {}),
    ...(a.targetRef ? { targetRef: a.targetRef } : {}),
  };
}

function slicesFor(svc: KubeObject, ep: KubeObject): KubeObject[] {
  const ns = svc.metadata.namespace!;
  const managedBy = svcSpec(svc).selector ? CONTROLLERS[0] : CONTROLLERS[1];
  return ((ep.subsets ?? []) as EndpointSubset[]).map((sub, i) => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${svc.metadata.name}-${i}`,
      namespace: ns,
      labels: { [SERVICE_NAME]: svc.metadata.name, [MANAGED_BY]: managedBy },
      ownerReferences: [
        { apiVersion: 'v1', kind: 'Service', name: svc.metadata.name, uid: svc.metadata.uid as string },
      ],
    },
    addressType: 'IPv4',
    endpoints: [
      ...(sub.addresses ?? []).map((a) => endpoint(a, true)),
      ...(sub.notReadyAddresses ?? []).map((a) => endpoint(a, false)),
    ],
    ports: (sub.ports ?? []).map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol })),
  }));
}

export class EndpointSliceController implements Reconciler {
  readonly name = 'endpointslices';

  reconcile(ctx: ControllerContext): void {
    const wanted = new Set<string>();
    for (const ep of ctx.store.list('', 'Endpoints')) {
      const svc = ctx.store.get('', 'Service', ep.metadata.namespace, ep.metadata.name);
      if (!svc || ep.metadata.labels?.['endpointslice.kubernetes.io/skip-mirror'] === 'true') continue;
      for (const slice of slicesFor(svc, ep)) {
        wanted.add(`${slice.metadata.namespace}/${slice.metadata.name}`);
        const existing = ctx.ensure(slice);
        ctx.patchIfChanged(existing, (o) => {
          o.endpoints = slice.endpoints;
          o.ports = slice.ports;
        });
      }
    }
    for (const s of ctx.store.list('discovery.k8s.io', 'EndpointSlice')) {
      if (!CONTROLLERS.includes(s.metadata.labels?.[MANAGED_BY] ?? '')) continue;
      if (!wanted.has(`${s.metadata.namespace}/${s.metadata.name}`))
        ctx.deleteIfExists('discovery.k8s.io', 'EndpointSlice', s.metadata.namespace, s.metadata.name);
    }
  }
}

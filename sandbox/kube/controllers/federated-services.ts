// Calico Enterprise's federated services controller (in calico-kube-controllers): a Service without
// spec.selector and with annotation federation.tigera.io/serviceSelector gets Endpoints gathered from the
// matching Services of its namespace, here and in every remote cluster in sync. Only ports whose name and
// protocol match are kept; remote addresses name their pod `<remote cluster>/<pod>`.
import type { KubeObject } from '../store.ts';
import { parseCalicoSelector } from './calico-selector.ts';
import type { FederationController } from './federation.ts';
import { isPodRunning } from './pod-status.ts';
import type { ControllerContext, Reconciler } from './runtime.ts';
import type { EndpointAddress, EndpointSubset } from './services.ts';
import { svcSpec, writeEndpoints } from './services.ts';
import { hasLicense, isEnterprise } from './tigera-operator.ts';

export const federationAnnotation = 'federation.tigera.io/serviceSelector';
/**
 * The sandbox's switch for federated endpoints without hostnames (as a controller that copies addresses only
 * would write them): annotate the federated Service. Then `<pod>.<service>` stops resolving while the service does.
 */
export const OMIT_HOSTNAMES_ANNOTATION = 'sandbox.meshops.io/federated-hostnames';

export function isFederated(svc: KubeObject): boolean {
  const spec = svcSpec(svc);
  return (
    !!svc.metadata.annotations?.[federationAnnotation] && (!spec.selector || Object.keys(spec.selector).length === 0)
  );
}

export class FederatedServicesController implements Reconciler {
  readonly name = 'federated-services';
  private readonly federation: FederationController;

  constructor(federation: FederationController) {
    this.federation = federation;
  }

  reconcile(ctx: ControllerContext): void {
    const inst = ctx.store.get('operator.tigera.io', 'Installation', undefined, 'default');
    const kubeControllersUp = ctx.store
      .list('', 'Pod', 'calico-system')
      .some((p) => p.metadata.labels?.['k8s-app'] === 'calico-kube-controllers' && isPodRunning(p));
    if (!kubeControllersUp || !isEnterprise(inst) || !hasLicense(ctx)) return;
    const remotes = this.federation.inSync();
    for (const svc of ctx.store.list('', 'Service')) {
      if (!isFederated(svc)) continue;
      const ns = svc.metadata.namespace!;
      let matches: (labels: Record<string, string>) => boolean;
      try {
        matches = parseCalicoSelector(svc.metadata.annotations![federationAnnotation]);
      } catch {
        continue; // the real controller logs and skips a bad selector
      }
      const fedPorts = svcSpec(svc).ports ?? [];
      const omitHostnames = svc.metadata.annotations?.[OMIT_HOSTNAMES_ANNOTATION] === 'omit';
      const subsets: EndpointSubset[] = [];
      const take = (source: KubeObject, endpoints: KubeObject | undefined, remote?: string) => {
        if (isFederated(source) || !matches(source.metadata.labels ?? {})) return;
        for (const sub of (endpoints?.subsets ?? []) as EndpointSubset[]) {
          const ports = (sub.ports ?? []).filter((p) =>
            fedPorts.some((f) => (f.name ?? '') === (p.name ?? '') && (f.protocol ?? 'TCP') === (p.protocol ?? 'TCP')),
          );
          if (ports.length === 0) continue;
          const renamed = (a: EndpointAddress): EndpointAddress =>
            remote && a.targetRef
              ? {
                  ...a,
                  targetRef: {
                    kind: a.targetRef.kind,
                    name: `${remote}/${a.targetRef.name}`,
                    namespace: a.targetRef.namespace,
                  },
                }
              : a;
          const rename = (a: EndpointAddress): EndpointAddress => {
            const out = renamed(a);
            if (!omitHostnames) return out;
            const { hostname: _dropped, ...rest } = out;
            return rest;
          };
          const out: EndpointSubset = { ports };
          if (sub.addresses?.length) out.addresses = sub.addresses.map(rename);
          if (sub.notReadyAddresses?.length) out.notReadyAddresses = sub.notReadyAddresses.map(rename);
          if (out.addresses || out.notReadyAddresses) subsets.push(out);
        }
      };
      for (const local of ctx.store.list('', 'Service', ns))
        take(local, ctx.store.get('', 'Endpoints', ns, local.metadata.name));
      for (const { name, snapshot } of remotes) {
        for (const remoteSvc of snapshot.services.filter((s) => s.metadata.namespace === ns)) {
          const ep = snapshot.endpoints.find(
            (e) => e.metadata.namespace === ns && e.metadata.name === remoteSvc.metadata.name,
          );
          take(remoteSvc, ep, name);
        }
      }
      writeEndpoints(ctx, svc, subsets, 'federation-controller');
    }
    // Federated Endpoints whose Service is gone or no longer federated.
    for (const ep of ctx.store.list('', 'Endpoints')) {
      if (ep.metadata.annotations?.['sandbox.meshops/managed-by'] !== 'federation-controller') continue;
      const svc = ctx.store.get('', 'Service', ep.metadata.namespace, ep.metadata.name);
      if (!svc || !isFederated(svc)) ctx.deleteIfExists('', 'Endpoints', ep.metadata.namespace, ep.metadata.name);
    }
  }
}

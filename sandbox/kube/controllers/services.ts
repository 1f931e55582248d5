// Service ClusterIPs and the endpoints controller: Endpoints for every Service with a selector, Ready pods in
// addresses and the rest in notReadyAddresses, hostnames for pods whose subdomain names the Service.
import type { KubeObject } from '../store.ts';
import { isPodReady, podSpec, podStatus } from './pod-status.ts';
import type { ControllerContext, Reconciler } from './runtime.ts';
import { intToIp, ipToInt, matchesMap } from './util.ts';

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
  nodePort?: number;
}

export interface ServiceSpec {
  selector?: Record<string, string>;
  clusterIP?: string;
  clusterIPs?: string[];
  type?: string;
  ports?: ServicePort[];
  publishNotReadyAddresses?: boolean;
}

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: { kind: string; name: string; namespace: string; uid?: string };
}

export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: Array<{ name?: string; port: number; protocol: string }>;
}

const serviceRange = { base: ipToInt('172.20.0.0'), size: 65536 };
// 172.20.0.1 is the kubernetes Service and 172.20.0.10 kube-dns on EKS: never hand them out.
const reservedIps = new Set(['172.20.0.0', '172.20.0.1', '172.20.0.10', '172.20.255.255']);

export function svcSpec(svc: KubeObject): ServiceSpec {
  return (svc.spec ?? {}) as ServiceSpec;
}

export class ServiceController implements Reconciler {
  readonly name = 'services';
  reconcile(ctx: ControllerContext): void {
    const services = ctx.store.list('', 'Service');
    const used = new Set(services.map((s) => svcSpec(s).clusterIP).filter((ip): ip is string => !!ip));
    for (const svc of services) {
      const spec = svcSpec(svc);
      if (!spec.clusterIP && spec.type !== 'ExternalName') {
        let ip = '';
        do ip = intToIp(serviceRange.base + 2 + Math.floor(Math.random() * (serviceRange.size - 3)));
        while (used.has(ip) || reservedIps.has(ip));
        used.add(ip);
        ctx.patchIfChanged(svc, (o) => {
          const s = o.spec as ServiceSpec & Record<string, unknown>;
          s.clusterIP = ip;
          s.clusterIPs = [ip];
          s.type ??= 'ClusterIP';
          s.ipFamilies ??= ['IPv4'];
          s.ipFamilyPolicy ??= 'SingleStack';
          s.sessionAffinity ??= 'None';
          s.internalTrafficPolicy ??= 'Cluster';
          s.ports = (s.ports ?? []).map((p) => ({ protocol: 'TCP', targetPort: p.port, ...p }));
        });
      }
      if (spec.selector && Object.keys(spec.selector).length > 0) this.endpointsFor(ctx, svc);
    }
    // Endpoints this controller made for a Service that is gone (or lost its selector) go too.
    for (const ep of ctx.store.list('', 'Endpoints')) {
      if (ep.metadata.labels?.['endpointslice.kubernetes.io/managed-by'] !== undefined) continue;
      if (ep.metadata.annotations?.['sandbox.meshops/managed-by'] !== 'endpoints-controller') continue;
      const svc = ctx.store.get('', 'Service', ep.metadata.namespace, ep.metadata.name);
      if (!svc || !svcSpec(svc).selector) ctx.deleteIfExists('', 'Endpoints', ep.metadata.namespace, ep.metadata.name);
    }
  }

  private endpointsFor(ctx: ControllerContext, svc: KubeObject): void {
    const spec = svcSpec(svc);
    const ns = svc.metadata.namespace!;
    const pods = ctx.store
      .list('', 'Pod', ns)
      .filter(
        (p) => matchesMap(p.metadata.labels, spec.selector!) && podStatus(p).podIP && !p.metadata.deletionTimestamp,
      );
    const ready: EndpointAddress[] = [];
    const notReady: EndpointAddress[] = [];
    for (const pod of pods) {
      const ps = podSpec(pod);
      const addr: EndpointAddress = {
        ip: podStatus(pod).podIP!,
        ...(ps.hostname && ps.subdomain === svc.metadata.name ? { hostname: ps.hostname } : {}),
        ...(ps.nodeName ? { nodeName: ps.nodeName } : {}),
        targetRef: { kind: 'Pod', name: pod.metadata.name, namespace: ns, uid: pod.metadata.uid },
      };
      if (isPodReady(pod) || spec.publishNotReadyAddresses) ready.push(addr);
      else notReady.push(addr);
    }
    const ports = (spec.ports ?? []).map((p) => ({
      ...(p.name ? { name: p.name } : {}),
      port: resolveTargetPort(p, pods[0]),
      protocol: p.protocol ?? 'TCP',
    }));
    const subsets: EndpointSubset[] =
      ready.length + notReady.length === 0
        ? []
        : [
            {
              ...(ready.length ? { addresses: ready } : {}),
              ...(notReady.length ? { notReadyAddresses: notReady } : {}),
              ports,
            },
          ];
    writeEndpoints(ctx, svc, subsets, 'endpoints-controller');
  }
}

function resolveTargetPort(p: ServicePort, pod: KubeObject | undefined): number {
  if (typeof p.targetPort === 'number') return p.targetPort;
  if (typeof p.targetPort === 'string' && /^\d+$/.test(p.targetPort)) return Number(p.targetPort);
  if (typeof p.targetPort === 'string' && pod) {
    for (const c of podSpec(pod).containers ?? []) {
      const named = c.ports?.find((cp) => cp.name === p.targetPort);
      if (named) return named.containerPort;
    }
  }
  return p.port;
}

/** Creates or updates the Service's Endpoints, writing only on change. */
export function writeEndpoints(
  ctx: ControllerContext,
  svc: KubeObject,
  subsets: EndpointSubset[],
  managedBy: string,
): void {
  const ns = svc.metadata.namespace!;
  const existing = ctx.store.get('', 'Endpoints', ns, svc.metadata.name);
  const labels = { ...(svc.metadata.labels ?? {}) };
  if (!existing) {
    ctx.store.create({
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: {
        name: svc.metadata.name,
        namespace: ns,
        labels,
        annotations: { 'sandbox.meshops/managed-by': managedBy },
      },
      ...(subsets.length ? { subsets } : {}),
    });
    return;
  }
  ctx.patchIfChanged(existing, (o) => {
    if (subsets.length) o.subsets = subsets;
    else delete o.subsets;
    o.metadata.labels = labels;
    o.metadata.annotations = { ...(o.metadata.annotations ?? {}), 'sandbox.meshops/managed-by': managedBy };
  });
}

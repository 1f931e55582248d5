// Cluster DNS as CoreDNS answers it for a pod: the search path <ns>.svc.cluster.local svc.cluster.local
// cluster.local, Services (ClusterIP, or the ready endpoints of a headless one), <hostname>.<service> records
// of headless Services (federated ones too), and <a-b-c-d>.<ns>.pod.cluster.local.
import type { SimClusterHandle } from '../../contracts.ts';

/** kube-dns's ClusterIP, where the pod's resolver sends queries. */
export function clusterDnsIp(handle: SimClusterHandle): string {
  const svc = handle.store.get('', 'Service', 'kube-system', 'kube-dns');
  return (svc?.spec as { clusterIP?: string } | undefined)?.clusterIP ?? '172.20.0.10';
}

export interface Resolution {
  fqdn: string;
  ips: string[];
  /** 'service' is a ClusterIP: virtual, it answers no ICMP. */
  kind: 'service' | 'endpoint' | 'pod' | 'literal';
}

interface Addr {
  ip: string;
  hostname?: string;
}

function readyAddresses(handle: SimClusterHandle, ns: string, svc: string, publishNotReady: boolean): Addr[] {
  const ep = handle.store.get('', 'Endpoints', ns, svc);
  const subsets = (ep?.subsets ?? []) as Array<{ addresses?: Addr[]; notReadyAddresses?: Addr[] }>;
  return subsets.flatMap((s) => [...(s.addresses ?? []), ...(publishNotReady ? (s.notReadyAddresses ?? []) : [])]);
}

function resolveFqdn(handle: SimClusterHandle, fqdn: string): Resolution | undefined {
  const name = fqdn.replace(/\.$/, '');
  const svcSuffix = '.svc.cluster.local';
  const podSuffix = '.pod.cluster.local';
  if (name.endsWith(podSuffix)) {
    const parts = name.slice(0, -podSuffix.length).split('.');
    if (parts.length !== 2) return undefined;
    const ip = parts[0].replaceAll('-', '.');
    return /^\d+\.\d+\.\d+\.\d+$/.test(ip) ? { fqdn: name, ips: [ip], kind: 'pod' } : undefined;
  }
  if (!name.endsWith(svcSuffix)) return undefined;
  const parts = name.slice(0, -svcSuffix.length).split('.');
  if (parts.length === 2) {
    const [svcName, ns] = parts;
    const svc = handle.store.get('', 'Service', ns, svcName);
    if (!svc) return undefined;
    const spec = (svc.spec ?? {}) as { clusterIP?: string; publishNotReadyAddresses?: boolean };
    if (spec.clusterIP && spec.clusterIP !== 'None') return { fqdn: name, ips: [spec.clusterIP], kind: 'service' };
    const ips = readyAddresses(handle, ns, svcName, !!spec.publishNotReadyAddresses).map((a) => a.ip);
    return ips.length ? { fqdn: name, ips, kind: 'endpoint' } : undefined;
  }
  if (parts.length === 3) {
    const [host, svcName, ns] = parts;
    const svc = handle.store.get('', 'Service', ns, svcName);
    if (!svc) return undefined;
    const spec = (svc.spec ?? {}) as { publishNotReadyAddresses?: boolean };
    const ips = readyAddresses(handle, ns, svcName, !!spec.publishNotReadyAddresses)
      .filter((a) => a.hostname === host)
      .map((a) => a.ip);
    return ips.length ? { fqdn: name, ips, kind: 'endpoint' } : undefined;
  }
  return undefined;
}

/** Resolves a name the way the pod's resolver would (ndots:5: the search path first). */
export function resolveName(handle: SimClusterHandle, namespace: string, name: string): Resolution | undefined {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return { fqdn: name, ips: [name], kind: 'literal' };
  if (!/^[A-Za-z0-9.-]+$/.test(name)) return undefined;
  const candidates = name.endsWith('.')
    ? [name]
    : [
        ...(name.split('.').length - 1 < 5
          ? [`${name}.${namespace}.svc.cluster.local`, `${name}.svc.cluster.local`, `${name}.cluster.local`]
          : []),
        name,
      ];
  for (const c of candidates) {
    const r = resolveFqdn(handle, c);
    if (r) return r;
  }
  return undefined;
}

export function resolvConf(handle: SimClusterHandle, namespace: string): string {
  const region = handle.placement.region;
  const domain = region === 'us-east-1' ? 'ec2.internal' : `${region}.compute.internal`;
  return `search ${namespace}.svc.cluster.local svc.cluster.local cluster.local ${domain}\nnameserver ${clusterDnsIp(handle)}\noptions ndots:5\n`;
}

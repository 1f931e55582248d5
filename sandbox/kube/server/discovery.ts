// Discovery documents (/api, /apis, APIResourceLists), /version and health checks, read live from the registry.
// Aggregated discovery is not served: kubectl sees the plain content type and falls back to these documents.
import type { ClusterPlacement } from '../../contracts.ts';
import type { Registry, ServedResource } from './registry.ts';

const SUBRESOURCES: Record<string, { verbs: string[]; kind?: string; group?: string; version?: string }> = {
  status: { verbs: ['get', 'patch', 'update'] },
  scale: { verbs: ['get', 'patch', 'update'], kind: 'Scale', group: 'autoscaling', version: 'v1' },
  log: { verbs: ['get'], kind: 'Pod' },
  exec: { verbs: ['create', 'get'], kind: 'PodExecOptions' },
  token: { verbs: ['create'], kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1' },
  finalize: { verbs: ['update'] },
};

export function versionInfo(placement: ClusterPlacement): Record<string, string> {
  const parts = placement.kubernetesVersion.replace(/^v/, '').split('.');
  const major = parts[0] ?? '1';
  const minor = parts[1] ?? '34';
  const patch = parts[2] ?? '1';
  return {
    major,
    minor,
    emulationMajor: major,
    emulationMinor: minor,
    gitVersion: `v${major}.${minor}.${patch}-eks-3f7c2a1`,
    gitCommit: '3f7c2a1d9b8e4c6f0a5d2e1b7c9f8a6e4d3c2b1a',
    gitTreeState: 'clean',
    buildDate: '2026-09-12T04:15:33Z',
    goVersion: 'go1.24.6',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupEntry(name: string, versions: string[]): Record<string, unknown> {
  return {
    name,
    versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
    preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
  };
}

export function apiGroupList(registry: Registry): Record<string, unknown> {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: registry.groups().map((g) => groupEntry(g.name, g.versions)),
  };
}

export function apiGroup(registry: Registry, name: string): Record<string, unknown> | undefined {
  const g = registry.groups().find((x) => x.name === name);
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(g.name, g.versions) } : undefined;
}

function resourceEntries(r: ServedResource): Array<Record<string, unknown>> {
  const main: Record<string, unknown> = {
    name: r.plural,
    singularName: r.singular ?? r.kind.toLowerCase(),
    namespaced: r.namespaced,
    kind: r.kind,
    verbs: r.verbs,
  };
  if (r.shortNames?.length) main['shortNames'] = r.shortNames;
  const categories = (r as ServedResource & { categories?: string[] }).categories;
  if (categories?.length) main['categories'] = categories;
  else if (
    r.source === 'builtin' &&
    ['Pod', 'Service', 'Deployment', 'DaemonSet', 'StatefulSet', 'ReplicaSet'].includes(r.kind)
  )
    main['categories'] = ['all'];
  const subs = (r.subresources ?? []).flatMap((s) => {
    const known = SUBRESOURCES[s];
    if (!known) return [];
    const entry: Record<string, unknown> = {
      name: `${r.plural}/${s}`,
      singularName: '',
      namespaced: r.namespaced,
      kind: known.kind ?? r.kind,
      verbs: known.verbs,
    };
    if (known.group) {
      entry['group'] = known.group;
      entry['version'] = known.version;
    }
    return [entry];
  });
  return [main, ...subs];
}

export function apiResourceList(
  registry: Registry,
  group: string,
  version: string,
): Record<string, unknown> | undefined {
  const resources = registry.inGroupVersion(group, version);
  if (resources.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources: resources.sort((a, b) => a.plural.localeCompare(b.plural)).flatMap(resourceEntries),
  };
}

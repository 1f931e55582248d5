// The stand-in's table of served resources. Built-ins are registered at start, CRDs when created, and
// controllers (the simulated Calico API server) may add more at run time; discovery reads this table live.
import type { ApiRegistry, ApiResourceDef } from '../../contracts.ts';

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
}

export interface ServedResource extends ApiResourceDef {
  verbs: string[];
  /** additionalPrinterColumns of a CRD version. */
  columns?: PrinterColumn[];
  source: 'builtin' | 'crd' | 'runtime';
}

export const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** Kubernetes version priority: GA before beta before alpha, higher numbers first. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string): [number, number, number] | undefined => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return undefined;
    const stage = m[2] === 'alpha' ? 0 : m[2] === 'beta' ? 1 : 2;
    return [stage, Number(m[1]), Number(m[3] ?? 0)];
  };
  const pa = parse(a);
  const pb = parse(b);
  if (!pa && !pb) return a.localeCompare(b);
  if (!pa) return 1;
  if (!pb) return -1;
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pb[i] - pa[i];
  return 0;
}

export class Registry implements ApiRegistry {
  private readonly byPath = new Map<string, ServedResource>();

  register(def: ApiResourceDef & Partial<Pick<ServedResource, 'verbs' | 'columns' | 'source'>>): void {
    const served: ServedResource = {
      ...def,
      singular: def.singular ?? def.kind.toLowerCase(),
      verbs: def.verbs ?? ALL_VERBS,
      source: def.source ?? 'runtime',
    };
    this.byPath.set(`${def.group}/${def.version}/${def.plural}`, served);
  }

  unregister(group: string, version: string, plural: string): void {
    this.byPath.delete(`${group}/${version}/${plural}`);
  }

  /** Any served version of a kind, the preferred one first. */
  find(group: string, kind: string): ServedResource | undefined {
    return this.all()
      .filter((r) => r.group === group && r.kind === kind)
      .sort((a, b) => compareVersions(a.version, b.version))[0];
  }

  byPlural(group: string, version: string, plural: string): ServedResource | undefined {
    return this.byPath.get(`${group}/${version}/${plural}`);
  }

  byKind(group: string, version: string, kind: string): ServedResource | undefined {
    for (const r of this.byPath.values()) if (r.group === group && r.version === version && r.kind === kind) return r;
    return undefined;
  }

  /** Resolves a plural in any version of a group (RBAC and access reviews name resources without versions). */
  anyVersion(group: string, plural: string): ServedResource | undefined {
    for (const r of this.byPath.values()) if (r.group === group && r.plural === plural) return r;
    return undefined;
  }

  all(): ServedResource[] {
    return [...this.byPath.values()];
  }

  inGroupVersion(group: string, version: string): ServedResource[] {
    return this.all().filter((r) => r.group === group && r.version === version);
  }

  /** Named groups (not the core group) with their versions, preferred first. */
  groups(): Array<{ name: string; versions: string[] }> {
    const versions = new Map<string, Set<string>>();
    for (const r of this.byPath.values()) {
      if (r.group === '') continue;
      let set = versions.get(r.group);
      if (!set) versions.set(r.group, (set = new Set()));
      set.add(r.version);
    }
    return [...versions].map(([name, set]) => ({ name, versions: [...set].sort(compareVersions) }));
  }

  /** Unique (group, kind) pairs: what the store holds objects of. */
  kinds(): Array<{ group: string; kind: string; namespaced: boolean }> {
    const seen = new Map<string, { group: string; kind: string; namespaced: boolean }>();
    for (const r of this.byPath.values())
      seen.set(`${r.group}/${r.kind}`, { group: r.group, kind: r.kind, namespaced: r.namespaced });
    return [...seen.values()];
  }
}

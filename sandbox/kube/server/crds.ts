// What a CustomResourceDefinition serves: one resource per served version, with its printer columns.
import type { KubeObject } from '../store.ts';
import type { PrinterColumn, ServedResource } from './registry.ts';
import { ALL_VERBS } from './registry.ts';

type Rec = Record<string, unknown>;

export function crdResources(crd: KubeObject): ServedResource[] {
  const spec = (crd['spec'] ?? {}) as Rec;
  const names = (spec['names'] ?? {}) as Rec;
  const group = String(spec['group'] ?? '');
  const versions = Array.isArray(spec['versions']) ? (spec['versions'] as Rec[]) : [];
  return versions
    .filter((v) => v['served'] !== false)
    .map((v) => {
      const sub = (v['subresources'] ?? {}) as Rec;
      const def: ServedResource = {
        group,
        version: String(v['name']),
        kind: String(names['kind'] ?? ''),
        plural: String(names['plural'] ?? ''),
        singular: String(names['singular'] ?? String(names['kind'] ?? '').toLowerCase()),
        namespaced: spec['scope'] === 'Namespaced',
        shortNames: Array.isArray(names['shortNames']) ? (names['shortNames'] as string[]) : [],
        subresources: [...('status' in sub ? ['status'] : []), ...('scale' in sub ? ['scale'] : [])],
        verbs: ALL_VERBS,
        source: 'crd',
      };
      if (Array.isArray(names['categories']))
        (def as ServedResource & { categories?: string[] }).categories = names['categories'] as string[];
      const cols = v['additionalPrinterColumns'];
      if (Array.isArray(cols)) def.columns = cols as PrinterColumn[];
      return def;
    });
}

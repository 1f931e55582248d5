// What the real API server's validation refuses in workload objects (apps/v1 controllers, Pods, PDBs), before
// any OpenAPI schema check: a selector that does not select the template, containers without a name or image,
// a PodDisruptionBudget with both minAvailable and maxUnavailable. Messages as kube-apiserver words them.
import type { KubeObject } from '../store.ts';
import { invalid } from './status.ts';

type Rec = Record<string, unknown>;
type Cause = { field: string; message: string; reason?: string };
const rec = (v: unknown): Rec => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : {});
const CONTROLLERS = new Set(['Deployment', 'StatefulSet', 'ReplicaSet', 'DaemonSet']);

interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

function selects(sel: Selector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const inValues = has && (e.values ?? []).includes(labels[e.key]!);
    if (e.operator === 'In' && !inValues) return false;
    if (e.operator === 'NotIn' && inValues) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

function goMap(labels: Record<string, string>): string {
  return `map[string]string{${Object.entries(labels)
    .map(([k, v]) => `"${k}":"${v}"`)
    .join(', ')}}`;
}

function containerCauses(podSpec: Rec, at: string): Cause[] {
  const out: Cause[] = [];
  const containers = podSpec['containers'];
  if (!Array.isArray(containers) || containers.length === 0) {
    return [{ field: `${at}.containers`, message: 'Required value', reason: 'FieldValueRequired' }];
  }
  for (const list of ['initContainers', 'containers']) {
    const items = podSpec[list];
    if (!Array.isArray(items)) continue;
    items.forEach((c, i) => {
      for (const key of ['name', 'image']) {
        if (!rec(c)[key])
          out.push({ field: `${at}.${list}[${i}].${key}`, message: 'Required value', reason: 'FieldValueRequired' });
      }
    });
  }
  return out;
}

/** Throws 422 Invalid as the API server would; a no-op for kinds it does not know. */
export function validateWorkload(obj: KubeObject, group: string): void {
  const spec = rec(obj['spec']);
  const causes: Cause[] = [];
  if (group === 'apps' && CONTROLLERS.has(obj.kind)) {
    const selector = obj['spec'] && rec(spec['selector']);
    const template = rec(spec['template']);
    const labels = (rec(template['metadata'])['labels'] ?? {}) as Record<string, string>;
    if (!selector || Object.keys(selector).length === 0) {
      causes.push({ field: 'spec.selector', message: 'Required value', reason: 'FieldValueRequired' });
    } else if (!selects(selector as Selector, labels)) {
      causes.push({
        field: 'spec.template.metadata.labels',
        message: `Invalid value: ${goMap(labels)}: \`selector\` does not match template \`labels\``,
      });
    }
    causes.push(...containerCauses(rec(template['spec']), 'spec.template.spec'));
  } else if (group === '' && obj.kind === 'Pod') {
    causes.push(...containerCauses(spec, 'spec'));
  } else if (group === 'policy' && obj.kind === 'PodDisruptionBudget') {
    if (spec['minAvailable'] !== undefined && spec['maxUnavailable'] !== undefined) {
      causes.push({ field: 'spec', message: 'Invalid value: minAvailable and maxUnavailable cannot be both set' });
    }
  }
  if (causes.length > 0) throw invalid(group, obj.kind, obj.metadata.name, causes);
}

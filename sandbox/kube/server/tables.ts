// Table output (meta.k8s.io/v1 Table): the columns `kubectl get` prints, computed on the server as real ones do.
import type { KubeObject } from '../store.ts';
import { evaluateJsonPath } from './jsonpath.ts';
import type { PrinterColumn, ServedResource } from './registry.ts';

interface ColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

type Cell = string | number | boolean | null;

interface Printer {
  columns: Array<[name: string, type: string, priority?: number]>;
  cells: (obj: KubeObject, now: number) => Cell[];
}

/** kubectl's HumanDuration: 45s, 5m30s, 3h12m, 4d... */
export function humanAge(since: string | undefined, now = Date.now()): string {
  if (!since) return '<unknown>';
  const secs = Math.max(0, Math.floor((now - Date.parse(since)) / 1000));
  if (secs < 120) return `${secs}s`;
  const mins = Math.floor(secs / 60);
  if (mins < 10) return secs % 60 === 0 ? `${mins}m` : `${mins}m${secs % 60}s`;
  if (mins < 180) return `${mins}m`;
  const hours = Math.floor(mins / 60);
  if (hours < 8) return mins % 60 === 0 ? `${hours}h` : `${hours}h${mins % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (days < 365 * 2) return `${days}d`;
  return `${Math.floor(days / 365)}y`;
}

const rec = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});
const arr = (v: unknown): Array<Record<string, unknown>> =>
  Array.isArray(v) ? (v as Array<Record<string, unknown>>) : [];
const age = (o: KubeObject, now: number): string => humanAge(o.metadata.creationTimestamp, now);
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

function podStatus(pod: KubeObject): string {
  if (pod.metadata.deletionTimestamp) return 'Terminating';
  const status = rec(pod['status']);
  for (const cs of arr(status['containerStatuses'])) {
    const waiting = rec(rec(cs['state'])['waiting']);
    if (typeof waiting['reason'] === 'string') return waiting['reason'];
  }
  return typeof status['reason'] === 'string' ? status['reason'] : String(status['phase'] ?? 'Pending');
}

function nodeStatus(node: KubeObject): string {
  const ready = arr(rec(node['status'])['conditions']).find((c) => c['type'] === 'Ready');
  let s = ready?.['status'] === 'True' ? 'Ready' : ready?.['status'] === 'False' ? 'NotReady' : 'Unknown';
  if (rec(node['spec'])['unschedulable']) s += ',SchedulingDisabled';
  return s;
}

function nodeRoles(node: KubeObject): string {
  const roles = Object.keys(node.metadata.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length));
  return roles.length ? roles.sort().join(',') : '<none>';
}

function nodeAddress(node: KubeObject, type: string): string {
  return String(arr(rec(node['status'])['addresses']).find((a) => a['type'] === type)?.['address'] ?? '<none>');
}

function servicePorts(svc: KubeObject): string {
  const ports = arr(rec(svc['spec'])['ports']);
  if (!ports.length) return '<none>';
  return ports
    .map((p) => `${p['port']}${p['nodePort'] ? `:${p['nodePort']}` : ''}/${p['protocol'] ?? 'TCP'}`)
    .join(',');
}

function selectorText(sel: unknown): string {
  const entries = Object.entries(rec(sel));
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(',') : '<none>';
}

const PRINTERS: Record<string, Printer> = {
  '/Node': {
    columns: [
      ['Status', 'string'],
      ['Roles', 'string'],
      ['Age', 'string'],
      ['Version', 'string'],
      ['Internal-IP', 'string', 1],
      ['External-IP', 'string', 1],
      ['OS-Image', 'string', 1],
      ['Kernel-Version', 'string', 1],
      ['Container-Runtime', 'string', 1],
    ],
    cells: (o, now) => {
      const info = rec(rec(o['status'])['nodeInfo']);
      return [
        nodeStatus(o),
        nodeRoles(o),
        age(o, now),
        String(info['kubeletVersion'] ?? ''),
        nodeAddress(o, 'InternalIP'),
        nodeAddress(o, 'ExternalIP'),
        String(info['osImage'] ?? '<unknown>'),
        String(info['kernelVersion'] ?? '<unknown>'),
        String(info['containerRuntimeVersion'] ?? '<unknown>'),
      ];
    },
  },
  '/Pod': {
    columns: [
      ['Ready', 'string'],
      ['Status', 'string'],
      ['Restarts', 'string'],
      ['Age', 'string'],
      ['IP', 'string', 1],
      ['Node', 'string', 1],
      ['Nominated Node', 'string', 1],
      ['Readiness Gates', 'string', 1],
    ],
    cells: (o, now) => {
      const status = rec(o['status']);
      const statuses = arr(status['containerStatuses']);
      const total = arr(rec(o['spec'])['containers']).length;
      const ready = statuses.filter((c) => c['ready'] === true).length;
      const restarts = statuses.reduce((n, c) => n + num(c['restartCount']), 0);
      return [
        `${ready}/${total}`,
        podStatus(o),
        String(restarts),
        age(o, now),
        String(status['podIP'] ?? '<none>'),
        String(rec(o['spec'])['nodeName'] ?? '<none>'),
        '<none>',
        '<none>',
      ];
    },
  },
  'apps/StatefulSet': {
    columns: [
      ['Ready', 'string'],
      ['Age', 'string'],
      ['Containers', 'string', 1],
      ['Images', 'string', 1],
    ],
    cells: (o, now) => {
      const containers = arr(rec(rec(rec(o['spec'])['template'])['spec'])['containers']);
      return [
        `${num(rec(o['status'])['readyReplicas'])}/${num(rec(o['spec'])['replicas'] ?? 1)}`,
        age(o, now),
        containers.map((c) => c['name']).join(','),
        containers.map((c) => c['image']).join(','),
      ];
    },
  },
  'apps/Deployment': {
    columns: [
      ['Ready', 'string'],
      ['Up-to-date', 'integer'],
      ['Available', 'integer'],
      ['Age', 'string'],
      ['Containers', 'string', 1],
      ['Images', 'string', 1],
      ['Selector', 'string', 1],
    ],
    cells: (o, now) => {
      const status = rec(o['status']);
      const containers = arr(rec(rec(rec(o['spec'])['template'])['spec'])['containers']);
      return [
        `${num(status['readyReplicas'])}/${num(rec(o['spec'])['replicas'] ?? 1)}`,
        num(status['updatedReplicas']),
        num(status['availableReplicas']),
        age(o, now),
        containers.map((c) => c['name']).join(','),
        containers.map((c) => c['image']).join(','),
        selectorText(rec(rec(o['spec'])['selector'])['matchLabels']),
      ];
    },
  },
  'apps/DaemonSet': {
    columns: [
      ['Desired', 'integer'],
      ['Current', 'integer'],
      ['Ready', 'integer'],
      ['Up-to-date', 'integer'],
      ['Available', 'integer'],
      ['Node Selector', 'string'],
      ['Age', 'string'],
    ],
    cells: (o, now) => {
      const s = rec(o['status']);
      return [
        num(s['desiredNumberScheduled']),
        num(s['currentNumberScheduled']),
        num(s['numberReady']),
        num(s['updatedNumberScheduled']),
        num(s['numberAvailable']),
        selectorText(rec(rec(rec(o['spec'])['template'])['spec'])['nodeSelector']),
        age(o, now),
      ];
    },
  },
  '/Service': {
    columns: [
      ['Type', 'string'],
      ['Cluster-IP', 'string'],
      ['External-IP', 'string'],
      ['Port(s)', 'string'],
      ['Age', 'string'],
      ['Selector', 'string', 1],
    ],
    cells: (o, now) => {
      const spec = rec(o['spec']);
      return [
        String(spec['type'] ?? 'ClusterIP'),
        String(spec['clusterIP'] ?? '<none>'),
        '<none>',
        servicePorts(o),
        age(o, now),
        selectorText(spec['selector']),
      ];
    },
  },
  '/Namespace': {
    columns: [
      ['Status', 'string'],
      ['Age', 'string'],
    ],
    cells: (o, now) => [String(rec(o['status'])['phase'] ?? 'Active'), age(o, now)],
  },
  '/Secret': {
    columns: [
      ['Type', 'string'],
      ['Data', 'string'],
      ['Age', 'string'],
    ],
    cells: (o, now) => [String(o['type'] ?? 'Opaque'), String(Object.keys(rec(o['data'])).length), age(o, now)],
  },
  '/ConfigMap': {
    columns: [
      ['Data', 'string'],
      ['Age', 'string'],
    ],
    cells: (o, now) => [String(Object.keys(rec(o['data'])).length), age(o, now)],
  },
  '/Endpoints': {
    columns: [
      ['Endpoints', 'string'],
      ['Age', 'string'],
    ],
    cells: (o, now) => {
      const eps = arr(o['subsets']).flatMap((s) =>
        arr(s['addresses']).flatMap((a) => arr(s['ports']).map((p) => `${a['ip']}:${p['port']}`)),
      );
      return [eps.length ? eps.join(',') : '<none>', age(o, now)];
    },
  },
};

function definition(name: string, type: string, priority = 0, description = ''): ColumnDefinition {
  return { name, type, format: name === 'Name' ? 'name' : '', description, priority };
}

function crdCell(obj: KubeObject, col: PrinterColumn, now: number): Cell {
  const values = evaluateJsonPath(obj, col.jsonPath);
  if (values.length === 0) return null;
  const first =
    values.length === 1
      ? values[0]
      : values.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(',');
  if (col.type === 'date' && typeof first === 'string') return humanAge(first, now);
  if (typeof first === 'object') return JSON.stringify(first);
  return first as Cell;
}

export function toTable(
  resource: ServedResource,
  objects: KubeObject[],
  opts: { resourceVersion: string; includeObject: string; withColumns?: boolean },
): Record<string, unknown> {
  const now = Date.now();
  let columns: ColumnDefinition[];
  let cells: (o: KubeObject) => Cell[];
  const printer = PRINTERS[`${resource.group}/${resource.kind}`];
  if (printer) {
    columns = printer.columns.map(([n, t, p]) => definition(n, t, p));
    cells = (o) => printer.cells(o, now);
  } else if (resource.columns && resource.columns.length > 0) {
    const cols = resource.columns;
    columns = cols.map((c) =>
      definition(c.name, c.type === 'date' ? 'date' : c.type, c.priority ?? 0, c.description ?? ''),
    );
    cells = (o) => cols.map((c) => crdCell(o, c, now));
  } else {
    columns = [
      definition(
        resource.kind === 'CustomResourceDefinition' ? 'Created At' : 'Age',
        resource.kind === 'CustomResourceDefinition' ? 'date' : 'string',
      ),
    ];
    cells = (o) => [
      resource.kind === 'CustomResourceDefinition' ? String(o.metadata.creationTimestamp ?? '') : age(o, now),
    ];
  }
  const table: Record<string, unknown> = {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: opts.resourceVersion },
    rows: objects.map((o) => {
      const row: Record<string, unknown> = { cells: [o.metadata.name, ...cells(o)] };
      if (opts.includeObject === 'Object') row['object'] = o;
      else if (opts.includeObject !== 'None')
        row['object'] = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
      return row;
    }),
  };
  if (opts.withColumns !== false)
    table['columnDefinitions'] = [
      definition('Name', 'string', 0, 'Name must be unique within a namespace.'),
      ...columns,
    ];
  return table;
}

/** Accept: application/json;as=Table;v=v1;g=meta.k8s.io (kubectl get). */
export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

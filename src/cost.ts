// What a mesh costs per hour: estimated from the spec before `up`, or from what is observed running. Only the
// hourly items (control planes, nodes and their volumes, NAT gateways, public IPv4 addresses, and the load
// balancers Kubernetes Services left, at their per-hour price); traffic, and a load balancer's capacity units
// (LCU, NLCU) or per-GB charge, depend on use and are left out, and the breakdown says so.
import { readFile, stat } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';
import type { MeshSpec } from './config/spec-types.ts';
import { deepFreeze } from './deep-freeze.ts';

const RegionPricesSchema = z.object({
  eksClusterHour: z.number().nonnegative(),
  /** A cluster whose Kubernetes version is past standard support (EKS moves it to extended support). */
  eksClusterExtendedHour: z.number().nonnegative(),
  natGatewayHour: z.number().nonnegative(),
  publicIpv4Hour: z.number().nonnegative(),
  nodeVolumeGbMonth: z.number().nonnegative(),
  /** Per load balancer-hour, by type: ELBv2's `network`, `application`, `gateway`, and `classic` (the ELB API). */
  loadBalancerHour: z.record(z.string(), z.number().nonnegative()).default({}),
  instances: z.record(z.string(), z.number().nonnegative()),
});

const PriceTableSchema = z.object({
  currency: z.literal('USD'),
  hoursPerMonth: z.number().positive(),
  regions: z.record(z.string(), RegionPricesSchema),
});

export type PriceTable = z.infer<typeof PriceTableSchema>;

export const DEFAULT_PRICES_PATH = new URL('../infra/prices.yaml', import.meta.url);

export function parsePrices(text: string): PriceTable {
  return PriceTableSchema.parse(parse(text));
}

// Parsed once per file version: an `up` asks for every cluster's line and its cost (20 ms of YAML and schema each,
// on the job's event loop while its first AWS calls are in flight). A changed file is read again.
const loaded = new Map<string, { mtimeMs: number; size: number; table: Promise<PriceTable> }>();

/** The price table, shared and frozen (see deep-freeze.ts). */
export async function loadPrices(path: string | URL = DEFAULT_PRICES_PATH): Promise<PriceTable> {
  const key = String(path);
  const { mtimeMs, size } = await stat(path);
  const hit = loaded.get(key);
  if (hit && hit.mtimeMs === mtimeMs && hit.size === size) return hit.table;
  const table = readFile(path, 'utf8').then((text) => deepFreeze(parsePrices(text)));
  loaded.set(key, { mtimeMs, size, table });
  table.catch(() => loaded.delete(key));
  return table;
}

/** What is (or will be) billed by the hour in one region. */
export interface ObservedRegion {
  region: string;
  eksClusters: number;
  /** Of those, the ones in extended support (billed at the extended price). */
  eksExtendedClusters?: number;
  nodes: { instanceType: string; count: number; diskGiB: number }[];
  natGateways: number;
  /** Elastic IPs (the NAT gateways' addresses); nodes are in private subnets and have none. */
  publicIpv4: number;
  /** Load balancers by type (`classic`, `network`, ...): what Services left, not what meshops made. */
  loadBalancers?: Record<string, number>;
}

const LOAD_BALANCER_ITEM: Record<string, string> = {
  classic: 'Classic load balancer',
  network: 'network load balancer',
  application: 'application load balancer',
  gateway: 'gateway load balancer',
};

export interface CostLine {
  region: string;
  item: string;
  quantity: number;
  /** USD per hour for one. */
  unitHourly: number;
  hourly: number;
}

export interface CostBreakdown {
  lines: CostLine[];
  totalHourly: number;
  totalMonthly: number;
  /** Items the price table has no price for (not in the total). */
  unpriced: string[];
  note: string;
}

const round = (n: number, digits = 4) => Math.round(n * 10 ** digits) / 10 ** digits;

export function costOfObserved(observed: ObservedRegion[], prices: PriceTable): CostBreakdown {
  const lines: CostLine[] = [];
  const unpriced: string[] = [];
  const add = (region: string, item: string, quantity: number, unitHourly: number | undefined) => {
    if (quantity <= 0) return;
    if (unitHourly === undefined) {
      unpriced.push(`${quantity} × ${item} in ${region}`);
      return;
    }
    lines.push({ region, item, quantity, unitHourly, hourly: round(quantity * unitHourly) });
  };
  for (const r of observed) {
    const p = prices.regions[r.region];
    const extended = r.eksExtendedClusters ?? 0;
    add(r.region, 'EKS control plane', r.eksClusters - extended, p?.eksClusterHour);
    add(r.region, 'EKS control plane (extended support)', extended, p?.eksClusterExtendedHour);
    for (const n of r.nodes) {
      add(r.region, `${n.instanceType} node`, n.count, p?.instances[n.instanceType]);
      const volumeHourly = p ? (n.diskGiB * p.nodeVolumeGbMonth) / prices.hoursPerMonth : undefined;
      add(
        r.region,
        `${n.diskGiB} GiB node volume`,
        n.count,
        volumeHourly === undefined ? undefined : round(volumeHourly, 5),
      );
    }
    add(r.region, 'NAT gateway', r.natGateways, p?.natGatewayHour);
    add(r.region, 'public IPv4 address', r.publicIpv4, p?.publicIpv4Hour);
    for (const [type, count] of Object.entries(r.loadBalancers ?? {})) {
      add(r.region, LOAD_BALANCER_ITEM[type] ?? `${type} load balancer`, count, p?.loadBalancerHour[type]);
    }
  }
  const totalHourly = round(lines.reduce((s, l) => s + l.hourly, 0));
  return {
    lines,
    totalHourly,
    totalMonthly: round(totalHourly * prices.hoursPerMonth, 2),
    unpriced,
    note: lines.some((l) => l.item.endsWith('load balancer'))
      ? "hourly items only: NAT data processing and traffic across the peering are billed per GB on top, and load balancers' capacity units (LCU/NLCU) or per-GB data by use"
      : 'hourly items only: NAT data processing and traffic across the peering are billed per GB on top',
  };
}

/**
 * What the spec will cost once `up` has run and the node groups are at their desired size; `extended` names the
 * clusters whose Kubernetes version is (or will be) in extended support.
 */
export function estimateHourlyCost(
  spec: MeshSpec,
  prices: PriceTable,
  extended: Set<string> = new Set(),
): CostBreakdown {
  const byRegion = new Map<string, ObservedRegion>();
  for (const c of spec.clusters) {
    const r = byRegion.get(c.region) ?? {
      region: c.region,
      eksClusters: 0,
      eksExtendedClusters: 0,
      nodes: [],
      natGateways: 0,
      publicIpv4: 0,
    };
    r.eksClusters += 1;
    if (extended.has(c.name)) r.eksExtendedClusters = (r.eksExtendedClusters ?? 0) + 1;
    r.nodes.push({
      instanceType: c.nodeGroup.instanceType,
      count: c.nodeGroup.desiredSize,
      diskGiB: c.nodeGroup.diskSizeGiB,
    });
    // One NAT gateway per AZ, two AZs, each with its Elastic IP.
    r.natGateways += 2;
    r.publicIpv4 += 2;
    byRegion.set(c.region, r);
  }
  return costOfObserved([...byRegion.values()], prices);
}

export function formatCost(b: CostBreakdown): string {
  const rows = b.lines.map(
    (l) => `${l.region}  ${l.quantity} × ${l.item} @ $${l.unitHourly}/h = $${l.hourly.toFixed(3)}/h`,
  );
  if (b.unpriced.length) rows.push(`not priced: ${b.unpriced.join('; ')}`);
  rows.push(`total ≈ $${b.totalHourly.toFixed(2)}/h (≈ $${b.totalMonthly.toFixed(0)}/month); ${b.note}`);
  return rows.join('\n');
}

// Kubernetes versions on EKS and what they cost. What EKS does here that surprises people:
// - a version has 14 months of standard support ($0.10 per cluster-hour), then EKS moves the cluster to extended
//   support by itself ($0.60 per cluster-hour) for 12 more months (EKS user guide, "Kubernetes versions"; EKS
//   pricing) unless upgradePolicy.supportType is STANDARD, in which case EKS upgrades it at the end instead;
// - the dates come from EKS (DescribeClusterVersions), never from a table in the product.

import type { ClusterVersionInformation, EKSClient } from '@aws-sdk/client-eks';
import { DescribeClusterVersionsCommand } from '@aws-sdk/client-eks';
import { aws } from '../../aws/errors.ts';
import { loadPrices } from '../../cost.ts';
import type { Deps } from '../../deps.ts';
import { PermanentError } from '../../errors.ts';

/** Warn this many days before a version's standard support ends. */
export const WARN_DAYS = 30;
const DAY_MS = 86_400_000;

export type Support = 'standard' | 'extended' | 'unsupported' | 'unknown';

export interface VersionInfo {
  version: string;
  endOfStandard?: Date;
  endOfExtended?: Date;
}

export async function listVersions(eks: EKSClient): Promise<VersionInfo[]> {
  const out: ClusterVersionInformation[] = [];
  let nextToken: string | undefined;
  do {
    const page = await aws('eks:DescribeClusterVersions', () =>
      eks.send(new DescribeClusterVersionsCommand({ nextToken })),
    );
    out.push(...(page.clusterVersions ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return out
    .filter((v) => v.clusterVersion)
    .map((v) => ({
      version: v.clusterVersion!,
      endOfStandard: v.endOfStandardSupportDate,
      endOfExtended: v.endOfExtendedSupportDate,
    }))
    .sort((a, b) => compareVersions(b.version, a.version));
}

function compareVersions(a: string, b: string): number {
  const [am, an] = a.split('.').map(Number);
  const [bm, bn] = b.split('.').map(Number);
  return am! - bm! || an! - bn!;
}

export function supportOf(v: VersionInfo | undefined, now: number): Support {
  if (!v?.endOfStandard) return 'unknown';
  if (now < v.endOfStandard.getTime()) return 'standard';
  if (!v.endOfExtended || now < v.endOfExtended.getTime()) return 'extended';
  return 'unsupported';
}

const isoDay = (d: Date) => d.toISOString().slice(0, 10);

/** Whole days from now until the date (0 when it is today). */
export function daysUntil(d: Date, now: number): number {
  return Math.max(0, Math.ceil((d.getTime() - now) / DAY_MS));
}

export interface ChosenVersion {
  version: string;
  info?: VersionInfo;
  support: Support;
  /** The spec named it (else: the newest in standard support). */
  pinned: boolean;
}

/** The version a new cluster gets: the spec's, or the newest in standard support today. */
export async function chooseVersion(deps: Deps, region: string): Promise<ChosenVersion> {
  const versions = await listVersions(deps.aws.eks(region));
  const now = deps.clock.now();
  const pinnedVersion = deps.spec.kubernetesVersion;
  if (pinnedVersion) {
    const info = versions.find((v) => v.version === pinnedVersion);
    return { version: pinnedVersion, info, support: supportOf(info, now), pinned: true };
  }
  const newest = versions.find((v) => supportOf(v, now) === 'standard');
  if (!newest) {
    throw new PermanentError(`EKS in ${region} lists no Kubernetes version in standard support`, {
      code: 'NoStandardVersion',
      hint: 'name a version in the spec (kubernetesVersion: "1.35")',
    });
  }
  return { version: newest.version, info: newest, support: 'standard', pinned: false };
}

/** Hourly control-plane prices, for the notes. */
export interface ClusterPrices {
  standard: number;
  extended: number;
}

/** One phrase on a version's support: "standard support until 2027-03-27 ($0.10/h)", and what comes next when near. */
export function supportNote(info: VersionInfo | undefined, now: number, prices?: ClusterPrices): string {
  const s = supportOf(info, now);
  const at = (p: number | undefined) => (p === undefined ? '' : ` ($${p.toFixed(2)}/h)`);
  if (s === 'unknown' || !info?.endOfStandard) return 'support dates unknown (EKS did not list this version)';
  const end = isoDay(info.endOfStandard);
  if (s === 'standard') {
    const days = daysUntil(info.endOfStandard, now);
    if (days > WARN_DAYS) return `standard support until ${end}${at(prices?.standard)}`;
    const when = days === 0 ? 'today' : `in ${days} day${days === 1 ? '' : 's'}`;
    return `standard support ends ${end} (${when}), then extended support${at(prices?.extended)}: upgrade the cluster`;
  }
  if (s === 'extended') return `extended support since ${end}${at(prices?.extended)}: upgrade the cluster`;
  return `out of support since ${isoDay(info.endOfExtended!)}: EKS upgrades it by itself`;
}

/** True when status should warn: in extended support, or within WARN_DAYS of leaving standard support. */
export function needsWarning(info: VersionInfo | undefined, now: number): boolean {
  const s = supportOf(info, now);
  if (s === 'extended' || s === 'unsupported') return true;
  return s === 'standard' && !!info?.endOfStandard && daysUntil(info.endOfStandard, now) <= WARN_DAYS;
}

/** The control plane's prices in a region, from the price table (undefined when it has none for the region). */
export async function clusterPrices(region: string): Promise<ClusterPrices | undefined> {
  const p = (await loadPrices()).regions[region];
  return p ? { standard: p.eksClusterHour, extended: p.eksClusterExtendedHour } : undefined;
}

/** The spec's clusters that `up` would create on a version already past standard support. */
export async function extendedAtCreate(deps: Deps): Promise<Set<string>> {
  const out = new Set<string>();
  await Promise.all(
    deps.spec.clusters.map(async (c) => {
      const v = await chooseVersion(deps, c.region).catch(() => undefined);
      if (v && v.support === 'extended') out.add(c.name);
    }),
  );
  return out;
}

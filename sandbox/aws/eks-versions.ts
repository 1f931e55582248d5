// EKS's Kubernetes versions with their support dates, as AWS publishes them (EKS user guide, "Kubernetes
// versions", release calendar; cross-checked with endoflife.date/amazon-eks): DescribeClusterVersions answers
// from this calendar and today's date, and CreateCluster refuses a version EKS does not offer. Standard support
// lasts 14 months from the EKS release, extended support 12 more. Versions released after the calendar was
// written (1.36 and later) are not listed: the sandbox cannot know their dates.
import type { HttpReply } from './aws-errors.ts';
import { json, restJsonError } from './aws-errors.ts';
import type { AwsRequest } from './request-info.ts';

export interface CalendarEntry {
  version: string;
  /** Amazon EKS release. */
  release: string;
  endOfStandard: string;
  endOfExtended: string;
}

export const EKS_CALENDAR: CalendarEntry[] = [
  { version: '1.35', release: '2026-01-28', endOfStandard: '2027-03-27', endOfExtended: '2028-03-27' },
  { version: '1.34', release: '2025-10-02', endOfStandard: '2026-12-02', endOfExtended: '2027-12-02' },
  { version: '1.33', release: '2025-05-28', endOfStandard: '2026-07-29', endOfExtended: '2027-07-29' },
  { version: '1.32', release: '2025-01-23', endOfStandard: '2026-03-23', endOfExtended: '2027-03-23' },
  { version: '1.31', release: '2024-09-26', endOfStandard: '2025-11-26', endOfExtended: '2026-11-26' },
  { version: '1.30', release: '2024-05-23', endOfStandard: '2025-07-23', endOfExtended: '2026-07-23' },
];

type Status = 'STANDARD_SUPPORT' | 'EXTENDED_SUPPORT' | 'UNSUPPORTED';

const day = (d: string) => Date.parse(`${d}T00:00:00Z`);

export function versionStatus(e: CalendarEntry, now: number): Status {
  if (now < day(e.endOfStandard)) return 'STANDARD_SUPPORT';
  if (now < day(e.endOfExtended)) return 'EXTENDED_SUPPORT';
  return 'UNSUPPORTED';
}

/** The versions CreateCluster takes today: those in standard or extended support. */
export function offeredVersion(version: string, now = Date.now()): CalendarEntry | undefined {
  const e = EKS_CALENDAR.find((x) => x.version === version);
  return e && versionStatus(e, now) !== 'UNSUPPORTED' ? e : undefined;
}

export function unsupportedVersion(version: string, now = Date.now()): HttpReply {
  const offered = EKS_CALENDAR.filter((e) => versionStatus(e, now) !== 'UNSUPPORTED').map((e) => e.version);
  return restJsonError(
    400,
    'InvalidParameterException',
    `unsupported Kubernetes version ${version}; supported: ${offered.join(', ')}`,
  );
}

export function describeClusterVersions(req: AwsRequest, now = Date.now()): HttpReply {
  const q = req.query;
  const only = q.getAll('clusterVersions');
  const status = q.get('versionStatus');
  const includeAll = q.get('includeAll') === 'true';
  const defaultOnly = q.get('defaultOnly') === 'true';
  const newestStandard = EKS_CALENDAR.find((e) => versionStatus(e, now) === 'STANDARD_SUPPORT');
  const rows = EKS_CALENDAR.filter((e) => {
    const s = versionStatus(e, now);
    if (only.length && !only.includes(e.version)) return false;
    if (status && s !== status) return false;
    if (!includeAll && s === 'UNSUPPORTED') return false;
    if (defaultOnly && e !== newestStandard) return false;
    return true;
  }).map((e) => ({
    clusterVersion: e.version,
    clusterType: 'eks',
    defaultPlatformVersion: 'eks.1',
    defaultVersion: e === newestStandard,
    releaseDate: day(e.release) / 1000,
    endOfStandardSupportDate: day(e.endOfStandard) / 1000,
    endOfExtendedSupportDate: day(e.endOfExtended) / 1000,
    versionStatus: versionStatus(e, now),
    kubernetesPatchVersion: `${e.version}.0`,
  }));
  return json(200, { clusterVersions: rows });
}

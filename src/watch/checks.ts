// A status pass's lines as the watch's checks: one per cluster and subject, so that a line keeps its identity
// from pass to pass while its detail changes.
import type { Check, CheckHealth } from './incidents.ts';

export interface PassLine {
  health: CheckHealth;
  subject: string;
  detail: string;
}

export interface ClusterLines {
  cluster: string;
  aws: PassLine[];
  kube: PassLine[];
}

export function statusChecks(clusters: ClusterLines[]): Check[] {
  return clusters.flatMap((c) =>
    [...c.aws, ...c.kube].map((l) => ({
      key: `${c.cluster}: ${l.subject}`,
      cluster: c.cluster,
      health: l.health,
      subject: l.subject,
      detail: l.detail,
    })),
  );
}

/** The other cluster a failing `ping to X` line of cluster C is about: C pings X. */
export function failingPing(checks: Check[]): { from: string; to: string } | undefined {
  for (const c of checks) {
    const to = /^ping to (\S+)$/.exec(c.subject)?.[1];
    if (to && c.cluster && c.health === 'failing') return { from: c.cluster, to };
  }
  return undefined;
}

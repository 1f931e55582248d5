// One line of `/mesh status`: a person reads the mark first, then the subject and the reason.
import type { PathHealth } from '../../src/metrics/mesh-health.ts';

export type Health = 'ok' | 'warning' | 'failing' | 'absent';

export interface StatusLine {
  health: Health;
  /** What the line is about: "VPC vpc-0abc (10.0.0.0/16)", "node group iad-nodes". */
  subject: string;
  /** The reason or the facts: "3/3 Ready", "peering pcx-1 is pending-acceptance". */
  detail: string;
  /** The number the verdict was read from, when there is one (federation: Typha's connection status). */
  value?: number;
  /** A ping line's numbers (loss, RTT), for the gauges and the picture. */
  path?: PathHealth;
}

export interface ClusterStatus {
  cluster: string;
  region: string;
  aws: StatusLine[];
  kube: StatusLine[];
}

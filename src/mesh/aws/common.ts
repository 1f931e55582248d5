// What every AWS resource module of the catalogue shares: who and where (the scope of one cluster), the shape of
// a health answer, and the retrying delete that AWS's dependency errors call for.
import type { EC2Client } from '@aws-sdk/client-ec2';
import { awsErrorCode, isAwsError } from '../../aws/errors.ts';
import type { Component } from '../../aws/tags.ts';
import { subnetLayout } from '../../config/cidr.ts';
import type { ClusterSpec } from '../../config/spec-types.ts';
import type { Deps } from '../../deps.ts';
import { WaitTimeoutError } from '../../errors.ts';
import type { StepContext, StepOutcome } from '../../steps/step.ts';
import { waitFor } from '../../steps/wait.ts';

/** One answer of `health`: the same shape as a `/mesh status` line. */
export interface Health {
  health: 'ok' | 'warning' | 'failing' | 'absent';
  /** What it is about: "VPC vpc-0abc (10.0.0.0/16)". */
  subject: string;
  /** The reason and the evidence: "peering pcx-1 is pending-acceptance". */
  detail: string;
}

export const healthLine = (health: Health['health'], subject: string, detail: string): Health => ({
  health,
  subject,
  detail,
});

/** One cluster's corner of AWS: the modules of its network and EKS resources take this. */
export interface ClusterScope {
  deps: Deps;
  cluster: ClusterSpec;
  mesh: string;
  ec2: EC2Client;
  layout: { public: [string, string]; private: [string, string] };
}

export function clusterScope(deps: Deps, cluster: ClusterSpec): ClusterScope {
  return {
    deps,
    cluster,
    mesh: deps.spec.name,
    ec2: deps.aws.ec2(cluster.region),
    layout: subnetLayout(cluster.vpcCidr),
  };
}

/** The tags of something one cluster owns. */
export function clusterTags(s: ClusterScope, component: Component, az?: string) {
  return { mesh: s.mesh, cluster: s.cluster.name, component, az };
}

/** The two AZ indexes of the blueprint's layout. */
export const AZ_INDEXES = [0, 1] as const;

/** How long a delete keeps retrying while AWS says something still depends on the resource. */
export const DEPENDENCY_TIMEOUT_MS = 10 * 60_000;

export interface DeleteOptions {
  /** Codes that mean "already gone". */
  notFound: string[];
  /** Codes that mean "not yet, try again" (default DependencyViolation). */
  retryOn?: string[];
  /** What still blocks it, for the message when the retries run out. */
  explain?: () => Promise<string>;
  timeoutMs?: number;
}

/**
 * Deletes one thing, retrying (bounded) while AWS answers one of `retryOn`; "not found" counts as deleted.
 * Returns true when it deleted it, false when it was already gone.
 */
export async function deleteRetrying(
  deps: Deps,
  ctx: StepContext,
  what: string,
  call: () => Promise<unknown>,
  opts: DeleteOptions,
): Promise<boolean> {
  const retryOn = opts.retryOn ?? ['DependencyViolation'];
  const timeoutMs = opts.timeoutMs ?? DEPENDENCY_TIMEOUT_MS;
  let deleted = false;
  try {
    await waitFor(ctx, {
      what: `deleting ${what}`,
      intervalMs: Math.max(deps.pollIntervalMs, 10),
      timeoutMs,
      poll: async () => {
        try {
          await call();
          deleted = true;
          return { done: true, status: 'deleted' };
        } catch (err) {
          if (isAwsError(err, ...opts.notFound)) return { done: true, status: 'already gone' };
          if (isAwsError(err, ...retryOn))
            return { done: false, status: `${awsErrorCode(err)}: ${(err as Error).message}` };
          throw err;
        }
      },
    });
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
    const why = opts.explain ? await opts.explain() : '';
    const minutes = Math.round(timeoutMs / 60000);
    throw new Error(`could not delete ${what}: still blocked after ${minutes} min (${err.lastSeen})${why}`, {
      cause: err,
    });
  }
  return deleted;
}

/** The outcome of a remove over several things of one kind: what was deleted, what was already gone. */
export function removedOutcome(kind: string, region: string, deleted: string[], all: string[]): StepOutcome {
  const gone = all.filter((x) => !deleted.includes(x));
  const parts = [
    deleted.length ? `deleted ${kind} ${deleted.join(', ')}` : '',
    gone.length ? `already gone: ${gone.join(', ')}` : '',
  ].filter(Boolean);
  return {
    summary: `${region}: ${parts.join('; ') || `no ${kind}`}`,
    changed: deleted.length > 0,
    resources: Object.fromEntries(deleted.map((id, i) => [`${kind}-${i}`, id])),
  };
}

// A cluster's EKS control plane in its private subnets, with the cluster role. What EKS does here that
// surprises people:
// - a role made seconds ago may not be assumable yet (IAM is eventually consistent): the create is retried;
// - CREATING takes 10-15 minutes; ACTIVE without an endpoint is not ready for the Kubernetes steps;
// - DeleteCluster is refused while node groups remain (ResourceInUseException): retried until they are gone;
// - EKS deletes its cluster security group with the cluster, but leaves it when something still references it;
// - a FAILED cluster never recovers and can only be deleted: `up` deletes it and creates it anew.

import type { Cluster, EKSClient } from '@aws-sdk/client-eks';
import {
  CreateClusterCommand,
  DeleteClusterCommand,
  DescribeClusterCommand,
  ListClustersCommand,
} from '@aws-sdk/client-eks';
import { aws, awsOrMissing, isAwsError } from '../../aws/errors.ts';
import { eksClusterName, MESH_TAG, tagMap } from '../../aws/tags.ts';
import type { Deps } from '../../deps.ts';
import { PermanentError, WaitTimeoutError } from '../../errors.ts';
import { mapLimited } from '../../map-limited.ts';
import type { Observation, StepContext, StepOutcome } from '../../steps/step.ts';
import { waitFor } from '../../steps/wait.ts';
import { type ClusterScope, deleteRetrying, type Health, healthLine, removedOutcome } from './common.ts';
import { requireRoleArn } from './iam-roles.ts';
import { privateSubnetIds } from './subnets.ts';
import {
  type ClusterPrices,
  chooseVersion,
  clusterPrices,
  needsWarning,
  supportNote,
  type VersionInfo,
} from './versions.ts';

const CLUSTER_TIMEOUT_MS = 25 * 60_000;
const CLUSTER_GONE_TIMEOUT_MS = 20 * 60_000;
const EKS_DELETE_TIMEOUT_MS = 25 * 60_000;
const ROLE_PROPAGATION_TIMEOUT_MS = 3 * 60_000;
/** How many DescribeCluster calls a find makes at once. */
const DESCRIBE_CONCURRENCY = 4;

export const eksName = (s: ClusterScope) => eksClusterName(s.mesh, s.cluster.name);

export async function describeCluster(eks: EKSClient, name: string): Promise<Cluster | undefined> {
  const out = await awsOrMissing(
    'eks:DescribeCluster',
    () => eks.send(new DescribeClusterCommand({ name })),
    'ResourceNotFoundException',
  );
  return out?.cluster;
}

async function listAll(list: (token?: string) => Promise<{ items?: string[]; next?: string }>): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await list(token);
    out.push(...(page.items ?? []));
    token = page.next;
  } while (token);
  return out;
}

/**
 * The mesh's EKS clusters in a region: every cluster named `<mesh>-…` (a cluster dropped from the spec still
 * counts), described a few at a time, and kept only when it carries the mesh's tag.
 */
export async function findMeshClusters(eks: EKSClient, mesh: string): Promise<Cluster[]> {
  const names = await listAll(async (nextToken) => {
    const r = await aws('eks:ListClusters', () => eks.send(new ListClustersCommand({ nextToken })));
    return { items: r.clusters, next: r.nextToken };
  });
  const ours = names.filter((n) => n.startsWith(`${mesh}-`));
  const clusters = await mapLimited(ours, DESCRIBE_CONCURRENCY, (n) => describeCluster(eks, n));
  return clusters.filter((c): c is Cluster => !!c && c.tags?.[MESH_TAG] === mesh);
}

export function checkOwned(mesh: string, what: string, tags: Record<string, string> | undefined): void {
  if (tags?.[MESH_TAG] === mesh) return;
  throw new PermanentError(`${what} exists but is not tagged ${MESH_TAG}=${mesh}`, {
    code: 'NotManaged',
    hint: 'another cluster has this name: rename the mesh or the cluster in the spec',
  });
}

/** EKS's answer when a role made seconds ago has not reached every IAM endpoint yet. */
function roleNotReady(err: unknown): boolean {
  return (
    err instanceof PermanentError &&
    err.code === 'InvalidParameterException' &&
    /could not be assumed|does not exist|not authorized to perform sts:AssumeRole/i.test(err.message)
  );
}

/**
 * Sends a create that names an IAM role, retrying (bounded) while EKS cannot assume the role yet: IAM is
 * eventually consistent, and a fresh mesh creates its roles moments before the cluster.
 */
export async function createNamingRole(deps: Deps, ctx: StepContext, what: string, create: () => Promise<unknown>) {
  let last: unknown;
  try {
    await waitFor(ctx, {
      what: `${what} (waiting for the new IAM role to propagate)`,
      intervalMs: Math.max(deps.pollIntervalMs, 10),
      timeoutMs: ROLE_PROPAGATION_TIMEOUT_MS,
      poll: async () => {
        try {
          await create();
          return { done: true, status: 'created' };
        } catch (err) {
          if (!roleNotReady(err)) throw err;
          last = err;
          return { done: false, status: (err as Error).message };
        }
      },
    });
  } catch (err) {
    throw last && err instanceof WaitTimeoutError ? last : err;
  }
}

async function waitGone(deps: Deps, ctx: StepContext, eks: EKSClient, name: string, timeoutMs: number): Promise<void> {
  await waitFor(ctx, {
    what: `EKS cluster ${name} to be deleted`,
    intervalMs: deps.pollIntervalMs,
    timeoutMs,
    poll: async () => {
      const c = await describeCluster(eks, name);
      return { done: !c, status: c?.status ?? 'gone' };
    },
  });
}

export async function waitActive(s: ClusterScope, ctx: StepContext): Promise<Cluster> {
  const name = eksName(s);
  const c = await waitFor(ctx, {
    what: `EKS cluster ${name}`,
    intervalMs: s.deps.pollIntervalMs,
    timeoutMs: CLUSTER_TIMEOUT_MS,
    poll: async () => {
      const cur = await describeCluster(s.deps.aws.eks(s.cluster.region), name);
      if (!cur) throw new Error(`EKS cluster ${name} disappeared while waiting for it`);
      if (cur.status === 'FAILED') {
        const issues = (cur.health?.issues ?? []).map((i) => `${i.code}: ${i.message}`).join('; ') || 'no reason given';
        throw new PermanentError(`EKS cluster ${name} FAILED: ${issues}`, {
          code: 'ClusterFailed',
          hint:
            `EKS does not repair a FAILED cluster: check the cluster role ${s.mesh}-eks-cluster and the subnets; ` +
            '`/mesh up` then deletes the FAILED cluster and creates it anew.',
        });
      }
      // The endpoint is what the Kubernetes steps connect to: ACTIVE without it is not ready for them.
      const ready = cur.status === 'ACTIVE' && !!cur.endpoint;
      const status =
        cur.status === 'ACTIVE' && !ready ? 'ACTIVE, endpoint not published yet' : (cur.status ?? 'unknown');
      return { done: ready, status, value: cur };
    },
  });
  return c!;
}

/** "Kubernetes 1.35, standard support until 2027-03-27 ($0.10/h)": what a new cluster gets, for the plan. */
async function versionDetail(s: ClusterScope): Promise<string> {
  const [v, prices] = await Promise.all([chooseVersion(s.deps, s.cluster.region), clusterPrices(s.cluster.region)]);
  const why = v.pinned ? '' : ', the newest in standard support';
  return `Kubernetes ${v.version}${why}: ${supportNote(v.info, s.deps.clock.now(), prices)}`;
}

export async function observe(s: ClusterScope): Promise<Observation> {
  const c = await describeCluster(s.deps.aws.eks(s.cluster.region), eksName(s));
  if (!c) return { state: 'missing', detail: await versionDetail(s) };
  if (c.status === 'ACTIVE') return { state: 'ok', detail: `${c.name} ACTIVE (${c.version})` };
  if (c.status === 'FAILED') return { state: 'repair', detail: `${c.name} is FAILED: delete it and create it anew` };
  return { state: 'wait', detail: `${c.name} to leave ${c.status}` };
}

export async function ensure(s: ClusterScope, ctx: StepContext): Promise<StepOutcome> {
  const eks = s.deps.aws.eks(s.cluster.region);
  const name = eksName(s);
  // What a create needs (the version, the role, the subnets) is read side by side with the describe: a first run
  // saves three round trips before its longest wait, a later one reads them for nothing.
  const forCreate = Promise.all([
    chooseVersion(s.deps, s.cluster.region),
    requireRoleArn(s.deps, 'cluster'),
    privateSubnetIds(s),
  ]);
  forCreate.catch(() => {}); // awaited, and so thrown, only when there is a cluster to create
  let existing = await describeCluster(eks, name);
  if (existing) checkOwned(s.mesh, `EKS cluster ${name}`, existing.tags);
  let replaced = false;
  if (existing?.status === 'FAILED') {
    // Nothing but a delete is possible on a FAILED cluster; it has no node groups (it never became ACTIVE).
    const issues = (existing.health?.issues ?? []).map((i) => `${i.code}: ${i.message}`).join('; ');
    ctx.note(`EKS cluster ${name} is FAILED (${issues || 'no reason given'}): deleting it to create it anew`);
    await remove(s.deps, ctx, s.cluster.region, name);
    existing = undefined;
    replaced = true;
  }
  if (existing?.status === 'DELETING') {
    await waitGone(s.deps, ctx, eks, name, CLUSTER_GONE_TIMEOUT_MS);
    existing = undefined;
  }
  let changed = false;
  if (!existing) {
    const [chosen, roleArn, subnetIds] = await forCreate;
    // Explicit, so the bill never changes by surprise: EXTENDED stays on the version past standard support.
    const supportType = s.deps.spec.kubernetesSupport === 'standard' ? 'STANDARD' : 'EXTENDED';
    try {
      await createNamingRole(s.deps, ctx, `EKS cluster ${name}`, () =>
        aws('eks:CreateCluster', () =>
          eks.send(
            new CreateClusterCommand({
              name,
              version: chosen.version,
              roleArn,
              upgradePolicy: { supportType },
              resourcesVpcConfig: { subnetIds, endpointPublicAccess: true, endpointPrivateAccess: true },
              accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP', bootstrapClusterCreatorAdminPermissions: true },
              tags: tagMap({ mesh: s.mesh, cluster: s.cluster.name, component: 'cluster', name }),
            }),
          ),
        ),
      );
      changed = true;
    } catch (err) {
      // Made by a run that crashed before it could record it: wait for that one.
      if (!isAwsError(err, 'ResourceInUseException')) throw err;
    }
    await ctx.checkpoint();
  }
  const c = await waitActive(s, ctx);
  // The Kubernetes steps that follow connect at once: what this describe said spares them asking again.
  if (c.endpoint && c.certificateAuthority?.data)
    s.deps.kube.heard?.(s.cluster, { endpoint: c.endpoint, caData: c.certificateAuthority.data });
  const pinned = s.deps.spec.kubernetesVersion;
  const versionNote = pinned && c.version !== pinned ? ` (spec asks ${pinned}; upgrades are not done by up)` : '';
  const verb = changed ? (replaced ? 'created anew (the FAILED one deleted)' : 'created') : 'exists';
  return {
    summary: `EKS cluster ${name} ${verb}: ACTIVE, Kubernetes ${c.version}${versionNote}, ${c.endpoint}, ${c.arn}`,
    changed,
    resources: { cluster: name, arn: c.arn ?? '', endpoint: c.endpoint ?? '' },
  };
}

/**
 * The control plane's state, and its version's support: a warning in extended support and in the last
 * WARN_DAYS days of standard support, saying the date and the price.
 */
export function health(
  name: string,
  c: Cluster | undefined,
  version?: { info?: VersionInfo; now: number; prices?: ClusterPrices },
): Health[] {
  if (!c) return [healthLine('absent', `EKS cluster ${name}`, 'not created')];
  const s = c.status;
  const h = s === 'ACTIVE' ? 'ok' : s === 'CREATING' || s === 'UPDATING' ? 'warning' : 'failing';
  const lines = [
    healthLine(h, `EKS cluster ${name}`, `${s}, Kubernetes ${c.version}, ${c.endpoint ?? 'no endpoint yet'}`),
  ];
  if (version) {
    const note = supportNote(version.info, version.now, version.prices);
    const policy = c.upgradePolicy?.supportType ? ` (upgradePolicy ${c.upgradePolicy.supportType})` : '';
    const warn = needsWarning(version.info, version.now);
    lines.push(healthLine(warn ? 'warning' : 'ok', `Kubernetes ${c.version} on ${name}`, `${note}${policy}`));
  }
  return lines;
}

/** Deletes the cluster (its node groups go first) and waits until it is gone. */
export async function remove(deps: Deps, ctx: StepContext, region: string, name: string): Promise<StepOutcome> {
  const eks = deps.aws.eks(region);
  const del = () => aws('eks:DeleteCluster', () => eks.send(new DeleteClusterCommand({ name })));
  const deleted = await deleteRetrying(deps, ctx, `EKS cluster ${name}`, del, {
    notFound: ['ResourceNotFoundException'],
    retryOn: ['ResourceInUseException'],
  });
  await waitGone(deps, ctx, eks, name, EKS_DELETE_TIMEOUT_MS);
  return removedOutcome('EKS cluster', region, deleted ? [name] : [], [name]);
}

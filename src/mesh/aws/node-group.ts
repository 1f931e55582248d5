// A cluster's managed node group, made at the spec's size once the VPC CNI is removed: the order of Tigera's EKS
// guide (cluster without nodes, delete aws-node, the operator and Installation, then the node group; `/mesh up`
// applies the operator while the group comes up, since the operator runs only on a joined node), so the nodes join
// with Calico as their CNI and no size-0 group has to be scaled afterwards. A node that ever ran aws-node keeps
// the AWS CNI's config. `scale` changes the size later. What EKS does here that
// surprises people:
// - one update at a time: UpdateNodegroupConfig is refused while another is in progress;
// - a group still CREATING or UPDATING refuses DeleteNodegroup (ResourceInUseException): retried;
// - CREATE_FAILED and DELETE_FAILED carry the reason in health.issues;
// - DEGRADED (launch failures: InsufficientInstanceCapacity, the vCPU quota) does not heal by waiting: it fails
//   the step at once with EKS's issues;
// - the size is set at once, the instances come later: the Kubernetes steps wait for the nodes.

import type { EKSClient, Nodegroup } from '@aws-sdk/client-eks';
import {
  CreateNodegroupCommand,
  DeleteNodegroupCommand,
  DescribeNodegroupCommand,
  ListNodegroupsCommand,
  UpdateNodegroupConfigCommand,
} from '@aws-sdk/client-eks';
import { aws, awsOrMissing, isAwsError } from '../../aws/errors.ts';
import { nodeGroupName, tagMap } from '../../aws/tags.ts';
import type { ClusterSpec } from '../../config/spec-types.ts';
import type { Deps } from '../../deps.ts';
import { PermanentError } from '../../errors.ts';
import type { Observation, StepContext, StepOutcome } from '../../steps/step.ts';
import { waitFor } from '../../steps/wait.ts';
import { type ClusterScope, deleteRetrying, type Health, healthLine, removedOutcome } from './common.ts';
import { checkOwned, createNamingRole, eksName } from './eks-cluster.ts';
import { requireRoleArn } from './iam-roles.ts';
import { privateSubnetIds } from './subnets.ts';

const NODEGROUP_TIMEOUT_MS = 30 * 60_000;
const EKS_DELETE_TIMEOUT_MS = 25 * 60_000;

export const groupName = (s: ClusterScope) => nodeGroupName(s.mesh, s.cluster.name);

export async function describeNodegroup(eks: EKSClient, clusterName: string, nodegroupName: string) {
  const out = await awsOrMissing(
    'eks:DescribeNodegroup',
    () => eks.send(new DescribeNodegroupCommand({ clusterName, nodegroupName })),
    'ResourceNotFoundException',
  );
  return out?.nodegroup;
}

export async function listNodegroups(eks: EKSClient, clusterName: string): Promise<string[]> {
  const out: string[] = [];
  let nextToken: string | undefined;
  do {
    const r = await awsOrMissing(
      'eks:ListNodegroups',
      () => eks.send(new ListNodegroupsCommand({ clusterName, nextToken })),
      'ResourceNotFoundException',
    );
    out.push(...(r?.nodegroups ?? []));
    nextToken = r?.nextToken;
  } while (nextToken);
  return out;
}

const describeOwn = (s: ClusterScope) => describeNodegroup(s.deps.aws.eks(s.cluster.region), eksName(s), groupName(s));

function issuesOf(ng: Nodegroup): string {
  return (ng.health?.issues ?? []).map((i) => `${i.code}: ${i.message}`).join('; ');
}

/** What `/mesh up` does next time with a group in this state, so that the hint is true. */
const NEXT_UP: Record<string, string> = {
  CREATE_FAILED: '/mesh up then deletes the failed node group and creates it again',
  DEGRADED: '/mesh up then sets its size again',
  DELETE_FAILED: '/mesh down then retries the delete',
};

function failure(ng: Nodegroup, name: string): PermanentError {
  const then = NEXT_UP[ng.status ?? ''] ?? '/mesh up then continues where it stopped';
  return new PermanentError(`node group ${name} is ${ng.status}: ${issuesOf(ng) || 'no reason given'}`, {
    code: `Nodegroup${ng.status}`,
    hint: `check the node role, the instance type in the region, and the EC2 instance quota; ${then}`,
  });
}

async function waitUntil(s: ClusterScope, ctx: StepContext, done: (ng: Nodegroup) => boolean, what: string) {
  const name = groupName(s);
  const ng = await waitFor(ctx, {
    what,
    intervalMs: s.deps.pollIntervalMs,
    timeoutMs: NODEGROUP_TIMEOUT_MS,
    poll: async () => {
      const cur = await describeOwn(s);
      if (!cur) throw new Error(`node group ${name} disappeared while waiting for it`);
      if (cur.status === 'CREATE_FAILED' || cur.status === 'DELETE_FAILED' || cur.status === 'DEGRADED') {
        throw failure(cur, name);
      }
      const issues = issuesOf(cur);
      const status = `${cur.status}, desired ${cur.scalingConfig?.desiredSize ?? '?'}${issues ? `; ${issues}` : ''}`;
      return { done: done(cur), status, value: cur };
    },
  });
  return ng!;
}

export async function observe(s: ClusterScope): Promise<Observation> {
  const ng = await describeOwn(s);
  if (!ng) {
    const { instanceType, desiredSize } = s.cluster.nodeGroup;
    return { state: 'missing', detail: `${instanceType}, created with ${desiredSize} nodes` };
  }
  if (ng.status === 'ACTIVE') return { state: 'ok', detail: `${ng.nodegroupName} ACTIVE` };
  if (ng.status === 'CREATE_FAILED') return { state: 'repair', detail: 'CREATE_FAILED: deleted and created again' };
  return { state: 'wait', detail: `${ng.nodegroupName} to leave ${ng.status}` };
}

/**
 * The node group asked for: found, or created (a CREATE_FAILED one is deleted and made again). Returns once EKS has
 * accepted it, CREATING; `ensureActive` waits for it. Split so that the cluster's Calico install, which keeps the
 * worker and the cluster's API server busy for a moment, is sent after the CreateNodegroup and not before it.
 */
export async function ensureRequested(s: ClusterScope, ctx: StepContext): Promise<StepOutcome> {
  const eks = s.deps.aws.eks(s.cluster.region);
  const clusterName = eksName(s);
  const name = groupName(s);
  const spec = s.cluster.nodeGroup;
  // What a create needs, read side by side with the describe (as for the control plane).
  const forCreate = Promise.all([requireRoleArn(s.deps, 'node'), privateSubnetIds(s)]);
  forCreate.catch(() => {}); // awaited, and so thrown, only when there is a group to create
  let ng = await describeOwn(s);
  if (ng) checkOwned(s.mesh, `node group ${name}`, ng.tags);
  let changed = false;
  let replaced = false;
  if (ng?.status === 'CREATE_FAILED') {
    // A failed create never heals and holds no workloads: replace it (the cause may have been fixed since).
    ctx.note(
      `node group ${name} is CREATE_FAILED (${issuesOf(ng) || 'no reason given'}): deleting it to create it again`,
    );
    await remove(s.deps, ctx, s.cluster.region, clusterName, [name]);
    ng = undefined;
    changed = true;
    replaced = true;
  }
  if (!ng) {
    const [nodeRole, subnets] = await forCreate;
    try {
      await createNamingRole(s.deps, ctx, `node group ${name}`, () =>
        aws('eks:CreateNodegroup', () =>
          eks.send(
            new CreateNodegroupCommand({
              clusterName,
              nodegroupName: name,
              // The plan runs this once aws-node is deleted: the nodes join with Calico, never with aws-node.
              scalingConfig: {
                minSize: Math.min(spec.minSize, spec.desiredSize),
                maxSize: Math.max(spec.maxSize, spec.desiredSize, 1),
                desiredSize: spec.desiredSize,
              },
              instanceTypes: [spec.instanceType],
              diskSize: spec.diskSizeGiB,
              capacityType: 'ON_DEMAND',
              nodeRole,
              subnets,
              ...(spec.sshKeyName ? { remoteAccess: { ec2SshKey: spec.sshKeyName } } : {}),
              labels: { 'meshops.io/mesh': s.mesh, 'meshops.io/cluster': s.cluster.name },
              tags: tagMap({ mesh: s.mesh, cluster: s.cluster.name, component: 'nodegroup', name }),
            }),
          ),
        ),
      );
      changed = true;
    } catch (err) {
      if (!isAwsError(err, 'ResourceInUseException')) throw err;
    }
    await ctx.checkpoint();
  }
  const verb = changed ? (replaced ? 'created again (the CREATE_FAILED one deleted)' : 'created') : 'exists';
  const state = changed ? 'CREATING' : (ng?.status ?? 'CREATING');
  return {
    summary: `node group ${name} ${verb}: ${state}, ${spec.desiredSize} x ${spec.instanceType}`,
    changed,
    resources: { nodegroup: name },
  };
}

/** Waits until the node group is ACTIVE; fails at once on CREATE_FAILED or DEGRADED, with EKS's issues. */
export async function ensureActive(s: ClusterScope, ctx: StepContext): Promise<StepOutcome> {
  const name = groupName(s);
  const ng = await waitUntil(s, ctx, (n) => n.status === 'ACTIVE', `node group ${name}`);
  const size = `desired ${ng.scalingConfig?.desiredSize} (max ${ng.scalingConfig?.maxSize})`;
  return {
    summary: `node group ${name} ACTIVE: ${s.cluster.nodeGroup.instanceType}, ${size}, ${ng.nodegroupArn}`,
    changed: false,
    resources: { nodegroup: name, arn: ng.nodegroupArn ?? '' },
  };
}

/** The wait's plan line: nothing to wait for once the group is ACTIVE. */
export async function observeActive(s: ClusterScope): Promise<Observation> {
  const ng = await describeOwn(s);
  if (!ng) return { state: 'missing', detail: `${groupName(s)} ACTIVE once created` };
  if (ng.status === 'ACTIVE') return { state: 'ok', detail: `${ng.nodegroupName} ACTIVE` };
  return { state: 'wait', detail: `${ng.nodegroupName} to leave ${ng.status}` };
}

export async function observeScale(s: ClusterScope, desired: number): Promise<Observation> {
  const ng = await describeOwn(s);
  if (!ng) return { state: 'missing', detail: `0 -> ${desired} nodes` };
  const now = ng.scalingConfig?.desiredSize;
  return now === desired
    ? { state: 'ok', detail: `${now} nodes` }
    : { state: 'repair', detail: `${now ?? 0} -> ${desired} nodes` };
}

export async function scale(s: ClusterScope, desired: number, ctx: StepContext): Promise<StepOutcome> {
  const eks = s.deps.aws.eks(s.cluster.region);
  const name = groupName(s);
  let ng = await describeOwn(s);
  if (!ng) throw new Error(`node group ${name} is not there yet (the node group step runs first)`);
  // One update at a time: EKS refuses a second while one is in progress. A DEGRADED group takes an update.
  if (ng.status !== 'ACTIVE' && ng.status !== 'DEGRADED') {
    ng = await waitUntil(s, ctx, (n) => n.status === 'ACTIVE', `node group ${name}`);
  }
  const before = ng.scalingConfig?.desiredSize ?? 0;
  // The spec's minSize (never above the wanted size).
  const minSize = Math.min(s.cluster.nodeGroup.minSize, desired);
  let changed = false;
  if (before !== desired || ng.scalingConfig?.minSize !== minSize || ng.status === 'DEGRADED') {
    const maxSize = Math.max(ng.scalingConfig?.maxSize ?? s.cluster.nodeGroup.maxSize, desired, 1);
    const scalingConfig = { minSize, maxSize, desiredSize: desired };
    await aws('eks:UpdateNodegroupConfig', () =>
      eks.send(new UpdateNodegroupConfigCommand({ clusterName: eksName(s), nodegroupName: name, scalingConfig })),
    );
    changed = true;
    await ctx.checkpoint();
  }
  const reached = (n: Nodegroup) => n.status === 'ACTIVE' && n.scalingConfig?.desiredSize === desired;
  await waitUntil(s, ctx, reached, `node group ${name} to reach ${desired}`);
  return {
    summary: changed
      ? `node group ${name} scaled ${before} -> ${desired} nodes`
      : `node group ${name} already at ${desired} nodes`,
    changed,
    resources: { nodegroup: name },
  };
}

export function health(cluster: ClusterSpec, name: string, ng: Nodegroup | undefined): Health[] {
  if (!ng) return [healthLine('absent', `node group ${name}`, 'not created')];
  const s = ng.status;
  const desired = ng.scalingConfig?.desiredSize ?? 0;
  const want = cluster.nodeGroup.desiredSize;
  const h =
    s === 'ACTIVE'
      ? desired === want
        ? 'ok'
        : 'warning'
      : s === 'CREATING' || s === 'UPDATING'
        ? 'warning'
        : 'failing';
  const issues = issuesOf(ng);
  const detail = `${s}, desired ${desired} (spec ${want}), ${ng.instanceTypes?.join(',')}${issues ? `; ${issues}` : ''}`;
  return [healthLine(h, `node group ${ng.nodegroupName}`, detail)];
}

/** Deletes a cluster's node groups and waits until they are gone. */
export async function remove(
  deps: Deps,
  ctx: StepContext,
  region: string,
  clusterName: string,
  names: string[],
): Promise<StepOutcome> {
  const eks = deps.aws.eks(region);
  const deleted: string[] = [];
  await Promise.all(
    names.map(async (ng) => {
      // One already DELETING is just waited for below.
      const current = await describeNodegroup(eks, clusterName, ng);
      if (!current || current.status === 'DELETING') return;
      const del = () =>
        aws('eks:DeleteNodegroup', () => eks.send(new DeleteNodegroupCommand({ clusterName, nodegroupName: ng })));
      const ok = await deleteRetrying(deps, ctx, `node group ${ng}`, del, {
        notFound: ['ResourceNotFoundException'],
        retryOn: ['ResourceInUseException'],
      });
      if (ok) deleted.push(ng);
    }),
  );
  await ctx.checkpoint();
  await waitFor(ctx, {
    what: `node groups of ${clusterName} to be deleted`,
    intervalMs: deps.pollIntervalMs,
    timeoutMs: EKS_DELETE_TIMEOUT_MS,
    poll: async () => {
      const left = (await Promise.all(names.map((ng) => describeNodegroup(eks, clusterName, ng)))).filter((x) => !!x);
      const failed = left.filter((n) => n.status === 'DELETE_FAILED');
      if (failed.length) {
        const why = failed.map(
          (n) => `${n.nodegroupName}: ${(n.health?.issues ?? []).map((i) => i.message).join('; ')}`,
        );
        throw new Error(`node group deletion failed: ${why.join(', ')}`);
      }
      return {
        done: left.length === 0,
        status: left.map((n) => `${n.nodegroupName} ${n.status}`).join(', ') || 'gone',
      };
    },
  });
  return removedOutcome('node groups', region, deleted, names);
}

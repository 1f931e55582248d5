// The EKS side of a cluster: control plane, the security rules the mesh needs, the managed node group (made at
// size 0, because the VPC CNI must be removed before nodes join), and scaling it to the wanted size.
import { AuthorizeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import { CreateClusterCommand, CreateNodegroupCommand, UpdateNodegroupConfigCommand } from '@aws-sdk/client-eks';
import type { Cluster, Nodegroup } from '@aws-sdk/client-eks';
import type { ClusterSpec } from '../../../src/config/spec-types.ts';
import type { Deps } from '../../../src/deps.ts';
import { PermanentError, WaitTimeoutError } from '../../../src/errors.ts';
import { aws, isAwsError } from '../../../src/aws/errors.ts';
import { describeCluster, describeNodegroup } from '../../../src/aws/eks.ts';
import { describeSecurityGroup, findSubnets } from '../../../src/aws/find.ts';
import { desiredNodeRules, ruleExists } from '../../../src/aws/node-rules.ts';
import { MESH_TAG, eksClusterName, nodeGroupName, tagMap } from '../../../src/aws/tags.ts';
import { leaf } from '../../../src/steps/step.ts';
import type { Observation, Step, StepContext, StepOutcome } from '../../../src/steps/step.ts';
import { waitFor } from '../../../src/steps/wait.ts';
import { requireRoleArn } from './iam.ts';

const CLUSTER_TIMEOUT_MS = 25 * 60_000;
const CLUSTER_GONE_TIMEOUT_MS = 20 * 60_000;
const NODEGROUP_TIMEOUT_MS = 30 * 60_000;

const ROLE_PROPAGATION_TIMEOUT_MS = 3 * 60_000;

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
async function createNamingRole(deps: Deps, ctx: StepContext, what: string, create: () => Promise<unknown>): Promise<void> {
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

async function privateSubnetIds(deps: Deps, cluster: ClusterSpec): Promise<string[]> {
  const subnets = await findSubnets(deps.aws.ec2(cluster.region), { mesh: deps.spec.name, cluster: cluster.name, component: 'subnet-private' });
  if (subnets.length < 2) throw new Error(`${cluster.name} has ${subnets.length}/2 private subnets yet (the network step runs first)`);
  return subnets.map((s) => s.SubnetId!).sort();
}

function checkOwned(deps: Deps, what: string, tags: Record<string, string> | undefined): void {
  if (tags?.[MESH_TAG] === deps.spec.name) return;
  throw new PermanentError(`${what} exists but is not tagged ${MESH_TAG}=${deps.spec.name}`, {
    code: 'NotManaged',
    hint: 'another cluster has this name: rename the mesh or the cluster in the spec',
  });
}

// ---- Control plane ----

async function waitClusterGone(deps: Deps, ctx: StepContext, name: string, region: string): Promise<void> {
  await waitFor(ctx, {
    what: `EKS cluster ${name} (being deleted)`,
    intervalMs: deps.pollIntervalMs,
    timeoutMs: CLUSTER_GONE_TIMEOUT_MS,
    poll: async () => {
      const c = await describeCluster(deps.aws.eks(region), name);
      return { done: !c, status: c?.status ?? 'gone' };
    },
  });
}

export async function waitClusterActive(deps: Deps, ctx: StepContext, cluster: ClusterSpec): Promise<Cluster> {
  const name = eksClusterName(deps.spec.name, cluster.name);
  const c = await waitFor(ctx, {
    what: `EKS cluster ${name}`,
    intervalMs: deps.pollIntervalMs,
    timeoutMs: CLUSTER_TIMEOUT_MS,
    poll: async () => {
      const cur = await describeCluster(deps.aws.eks(cluster.region), name);
      if (!cur) throw new Error(`EKS cluster ${name} disappeared while waiting for it`);
      if (cur.status === 'FAILED') {
        throw new PermanentError(`EKS cluster ${name} FAILED: ${(cur.health?.issues ?? []).map((i) => `${i.code}: ${i.message}`).join('; ') || 'no reason given'}`, {
          code: 'ClusterFailed',
          hint: `delete it (/mesh down) and run up again; check the cluster role ${deps.spec.name}-eks-cluster and subnets`,
        });
      }
      // The endpoint is what the Kubernetes steps connect to: ACTIVE without it is not ready for them.
      const ready = cur.status === 'ACTIVE' && !!cur.endpoint;
      return { done: ready, status: cur.status === 'ACTIVE' && !ready ? 'ACTIVE, endpoint not published yet' : (cur.status ?? 'unknown'), value: cur };
    },
  });
  return c!;
}

async function observeControlPlane(deps: Deps, cluster: ClusterSpec): Promise<Observation> {
  const c = await describeCluster(deps.aws.eks(cluster.region), eksClusterName(deps.spec.name, cluster.name));
  if (!c) return { state: 'missing', detail: `Kubernetes ${deps.spec.kubernetesVersion}` };
  return { state: c.status === 'ACTIVE' ? 'exists' : 'partial', detail: `${c.name} ${c.status} (${c.version})` };
}

async function runControlPlane(deps: Deps, cluster: ClusterSpec, ctx: StepContext): Promise<StepOutcome> {
  const eks = deps.aws.eks(cluster.region);
  const name = eksClusterName(deps.spec.name, cluster.name);
  let existing = await describeCluster(eks, name);
  if (existing) checkOwned(deps, `EKS cluster ${name}`, existing.tags);
  if (existing?.status === 'DELETING') {
    await waitClusterGone(deps, ctx, name, cluster.region);
    existing = undefined;
  }
  let changed = false;
  if (!existing) {
    const [roleArn, subnetIds] = await Promise.all([requireRoleArn(deps, 'cluster'), privateSubnetIds(deps, cluster)]);
    try {
      await createNamingRole(deps, ctx, `EKS cluster ${name}`, () => aws('eks:CreateCluster', () =>
        eks.send(
          new CreateClusterCommand({
            name,
            version: deps.spec.kubernetesVersion,
            roleArn,
            resourcesVpcConfig: { subnetIds, endpointPublicAccess: true, endpointPrivateAccess: true },
            accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP', bootstrapClusterCreatorAdminPermissions: true },
            tags: tagMap({ mesh: deps.spec.name, cluster: cluster.name, component: 'cluster', name }),
          }),
        ),
      ));
      changed = true;
    } catch (err) {
      // Made by a run that crashed before it could record it: wait for that one.
      if (!isAwsError(err, 'ResourceInUseException')) throw err;
    }
    await ctx.checkpoint();
  }
  const c = await waitClusterActive(deps, ctx, cluster);
  const versionNote = c.version !== deps.spec.kubernetesVersion ? ` (spec asks ${deps.spec.kubernetesVersion}; upgrades are not done by up)` : '';
  return {
    summary: `EKS cluster ${name} ${changed ? 'created' : 'exists'}: ACTIVE, Kubernetes ${c.version}${versionNote}, ${c.endpoint}, ${c.arn}`,
    changed,
    resources: { cluster: name, arn: c.arn ?? '', endpoint: c.endpoint ?? '' },
  };
}

export function controlPlaneStep(deps: Deps, cluster: ClusterSpec): Step {
  const name = eksClusterName(deps.spec.name, cluster.name);
  return leaf(
    `cluster/${cluster.name}/control-plane`,
    `EKS control plane ${name} (Kubernetes ${deps.spec.kubernetesVersion})`,
    (ctx) => runControlPlane(deps, cluster, ctx),
    () => observeControlPlane(deps, cluster),
  );
}

// ---- Security rules on the cluster security group ----

async function clusterGroupId(deps: Deps, cluster: ClusterSpec): Promise<string> {
  const name = eksClusterName(deps.spec.name, cluster.name);
  const c = await describeCluster(deps.aws.eks(cluster.region), name);
  const id = c?.resourcesVpcConfig?.clusterSecurityGroupId;
  if (!id) throw new Error(`EKS cluster ${name} has ${c ? 'no cluster security group yet' : 'not been created yet'}`);
  return id;
}

async function observeSecurityRules(deps: Deps, cluster: ClusterSpec): Promise<Observation> {
  const c = await describeCluster(deps.aws.eks(cluster.region), eksClusterName(deps.spec.name, cluster.name));
  const sgId = c?.resourcesVpcConfig?.clusterSecurityGroupId;
  if (!sgId) return { state: 'missing' };
  const sg = await describeSecurityGroup(deps.aws.ec2(cluster.region), sgId);
  const rules = desiredNodeRules(deps.spec, cluster, sgId);
  const have = sg ? rules.filter((r) => ruleExists(sg, r)).length : 0;
  return { state: have === rules.length ? 'exists' : have === 0 ? 'missing' : 'partial', detail: `${have}/${rules.length} rules on ${sgId}` };
}

async function runSecurityRules(deps: Deps, cluster: ClusterSpec): Promise<StepOutcome> {
  const ec2 = deps.aws.ec2(cluster.region);
  const sgId = await clusterGroupId(deps, cluster);
  const sg = await describeSecurityGroup(ec2, sgId);
  if (!sg) throw new Error(`security group ${sgId} is not visible yet`);
  const added: string[] = [];
  for (const rule of desiredNodeRules(deps.spec, cluster, sgId)) {
    if (ruleExists(sg, rule)) continue;
    try {
      await aws('ec2:AuthorizeSecurityGroupIngress', () =>
        ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: sgId, IpPermissions: [rule.permission] })),
      );
      added.push(rule.label);
    } catch (err) {
      if (!isAwsError(err, 'InvalidPermission.Duplicate')) throw err;
    }
  }
  return {
    summary: added.length ? `cluster security group ${sgId}: added ${added.join('; ')}` : `cluster security group ${sgId}: mesh rules already present`,
    changed: added.length > 0,
    resources: { securityGroup: sgId },
  };
}

export function securityRulesStep(deps: Deps, cluster: ClusterSpec): Step {
  return leaf(
    `cluster/${cluster.name}/security-rules`,
    'security rules for Calico (VXLAN from the peers, API server)',
    () => runSecurityRules(deps, cluster),
    () => observeSecurityRules(deps, cluster),
  );
}

// ---- Node group ----

function nodegroupFailure(ng: Nodegroup, name: string): PermanentError {
  const issues = (ng.health?.issues ?? []).map((i) => `${i.code}: ${i.message}`).join('; ') || 'no reason given';
  return new PermanentError(`node group ${name} is ${ng.status}: ${issues}`, {
    code: `Nodegroup${ng.status}`,
    hint: 'check the node role, the instance type in the region, and the EC2 instance quota; then /mesh down and up',
  });
}

async function waitNodegroup(
  deps: Deps,
  ctx: StepContext,
  cluster: ClusterSpec,
  done: (ng: Nodegroup) => boolean,
  what: string,
): Promise<Nodegroup> {
  const clusterName = eksClusterName(deps.spec.name, cluster.name);
  const name = nodeGroupName(deps.spec.name, cluster.name);
  const ng = await waitFor(ctx, {
    what,
    intervalMs: deps.pollIntervalMs,
    timeoutMs: NODEGROUP_TIMEOUT_MS,
    poll: async () => {
      const cur = await describeNodegroup(deps.aws.eks(cluster.region), clusterName, name);
      if (!cur) throw new Error(`node group ${name} disappeared while waiting for it`);
      if (cur.status === 'CREATE_FAILED' || cur.status === 'DELETE_FAILED') throw nodegroupFailure(cur, name);
      const s = cur.scalingConfig;
      return { done: done(cur), status: `${cur.status}, desired ${s?.desiredSize ?? '?'}`, value: cur };
    },
  });
  return ng!;
}

async function observeNodeGroup(deps: Deps, cluster: ClusterSpec): Promise<Observation> {
  const ng = await describeNodegroup(deps.aws.eks(cluster.region), eksClusterName(deps.spec.name, cluster.name), nodeGroupName(deps.spec.name, cluster.name));
  if (!ng) return { state: 'missing', detail: `${cluster.nodeGroup.instanceType}, created at size 0` };
  return { state: ng.status === 'ACTIVE' ? 'exists' : 'partial', detail: `${ng.nodegroupName} ${ng.status}, desired ${ng.scalingConfig?.desiredSize}` };
}

async function runNodeGroup(deps: Deps, cluster: ClusterSpec, ctx: StepContext): Promise<StepOutcome> {
  const eks = deps.aws.eks(cluster.region);
  const clusterName = eksClusterName(deps.spec.name, cluster.name);
  const name = nodeGroupName(deps.spec.name, cluster.name);
  const spec = cluster.nodeGroup;
  let ng = await describeNodegroup(eks, clusterName, name);
  if (ng) checkOwned(deps, `node group ${name}`, ng.tags);
  if (ng?.status === 'CREATE_FAILED') throw nodegroupFailure(ng, name);
  let changed = false;
  if (!ng) {
    const [nodeRole, subnets] = await Promise.all([requireRoleArn(deps, 'node'), privateSubnetIds(deps, cluster)]);
    try {
      await createNamingRole(deps, ctx, `node group ${name}`, () => aws('eks:CreateNodegroup', () =>
        eks.send(
          new CreateNodegroupCommand({
            clusterName,
            nodegroupName: name,
            // Size 0 first: the nodes must not join before the VPC CNI is removed and Calico is installed.
            scalingConfig: { minSize: 0, maxSize: Math.max(spec.maxSize, 1), desiredSize: 0 },
            instanceTypes: [spec.instanceType],
            diskSize: spec.diskSizeGiB,
            capacityType: 'ON_DEMAND',
            nodeRole,
            subnets,
            ...(spec.sshKeyName ? { remoteAccess: { ec2SshKey: spec.sshKeyName } } : {}),
            labels: { 'meshops.io/mesh': deps.spec.name, 'meshops.io/cluster': cluster.name },
            tags: tagMap({ mesh: deps.spec.name, cluster: cluster.name, component: 'nodegroup', name }),
          }),
        ),
      ));
      changed = true;
    } catch (err) {
      if (!isAwsError(err, 'ResourceInUseException')) throw err;
    }
    await ctx.checkpoint();
  }
  ng = await waitNodegroup(deps, ctx, cluster, (n) => n.status === 'ACTIVE', `node group ${name}`);
  return {
    summary: `node group ${name} ${changed ? 'created' : 'exists'}: ACTIVE, ${spec.instanceType}, desired ${ng.scalingConfig?.desiredSize} (max ${ng.scalingConfig?.maxSize}), ${ng.nodegroupArn}`,
    changed,
    resources: { nodegroup: name, arn: ng.nodegroupArn ?? '' },
  };
}

export function nodeGroupStep(deps: Deps, cluster: ClusterSpec): Step {
  const name = nodeGroupName(deps.spec.name, cluster.name);
  return leaf(`cluster/${cluster.name}/nodegroup`, `node group ${name} (${cluster.nodeGroup.instanceType}, size 0)`, (ctx) => runNodeGroup(deps, cluster, ctx), () => observeNodeGroup(deps, cluster));
}

// ---- Scale ----

async function runScale(deps: Deps, cluster: ClusterSpec, desired: number, ctx: StepContext): Promise<StepOutcome> {
  const eks = deps.aws.eks(cluster.region);
  const clusterName = eksClusterName(deps.spec.name, cluster.name);
  const name = nodeGroupName(deps.spec.name, cluster.name);
  let ng = await describeNodegroup(eks, clusterName, name);
  if (!ng) throw new Error(`node group ${name} is not there yet (the node group step runs first)`);
  // One update at a time: EKS refuses a second while one is in progress.
  if (ng.status !== 'ACTIVE') ng = await waitNodegroup(deps, ctx, cluster, (n) => n.status === 'ACTIVE', `node group ${name}`);
  const before = ng.scalingConfig?.desiredSize ?? 0;
  let changed = false;
  if (before !== desired) {
    const minSize = Math.min(ng.scalingConfig?.minSize ?? 0, desired);
    const maxSize = Math.max(ng.scalingConfig?.maxSize ?? cluster.nodeGroup.maxSize, desired, 1);
    await aws('eks:UpdateNodegroupConfig', () =>
      eks.send(new UpdateNodegroupConfigCommand({ clusterName, nodegroupName: name, scalingConfig: { minSize, maxSize, desiredSize: desired } })),
    );
    changed = true;
    await ctx.checkpoint();
  }
  ng = await waitNodegroup(deps, ctx, cluster, (n) => n.status === 'ACTIVE' && n.scalingConfig?.desiredSize === desired, `node group ${name} to reach ${desired}`);
  return {
    summary: changed ? `node group ${name} scaled ${before} -> ${desired} nodes` : `node group ${name} already at ${desired} nodes`,
    changed,
    resources: { nodegroup: name },
  };
}

export function scaleNodeGroupStep(deps: Deps, cluster: ClusterSpec, desiredSize = cluster.nodeGroup.desiredSize): Step {
  return leaf(
    `cluster/${cluster.name}/scale`,
    `scale node group to ${desiredSize}`,
    (ctx) => runScale(deps, cluster, desiredSize, ctx),
    async () => {
      const ng = await describeNodegroup(deps.aws.eks(cluster.region), eksClusterName(deps.spec.name, cluster.name), nodeGroupName(deps.spec.name, cluster.name));
      const now = ng?.scalingConfig?.desiredSize;
      return now === desiredSize ? { state: 'exists', detail: `${now} nodes` } : { state: 'missing', detail: `${now ?? 0} -> ${desiredSize} nodes` };
    },
  );
}

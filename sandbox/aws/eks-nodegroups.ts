// Managed node groups on a timeline: CREATING -> ACTIVE (nodes appear: setNodeGroup), UpdateNodegroupConfig
// -> UPDATING -> ACTIVE at the new size (with an update DescribeUpdate can follow), DeleteNodegroup ->
// DELETING -> gone (nodes go: deleteNodeGroup).
import { randomUUID } from 'node:crypto';
import type { HttpReply } from './aws-errors.ts';
import { json, restJsonError } from './aws-errors.ts';
import type { EksContext } from './eks-context.ts';
import { parseJsonBody, readJson } from './eks-context.ts';
import type { ClusterRecord, NodegroupRecord, UpdateRecord } from './eks-records.ts';
import { presentNodegroup, presentUpdate } from './eks-records.ts';
import type { AwsRequest } from './request-info.ts';

export async function createNodegroup(ctx: EksContext, req: AwsRequest, clusterName: string): Promise<HttpReply> {
  // CREATING lasts the profile's time from the request (as for clusters): moto's answer is not added to it.
  const requestedAt = ctx.timers.now();
  const cluster = ctx.records.get(req.region, clusterName);
  if (!cluster) return ctx.forward(req);
  const body = parseJsonBody(req);
  const name = String(body.nodegroupName ?? '');
  if (cluster.nodegroups.has(name)) {
    return restJsonError(
      409,
      'ResourceInUseException',
      `NodeGroup already exists with name ${name} and cluster name ${clusterName}`,
      { clusterName, nodegroupName: name },
    );
  }
  if (cluster.status !== 'ACTIVE') {
    return restJsonError(400, 'InvalidRequestException', `Cluster '${clusterName}' is not in ACTIVE status`, {
      clusterName,
    });
  }
  const scaling = body.scalingConfig ?? {};
  const problem = scalingProblem(scaling);
  if (problem) return restJsonError(400, 'InvalidParameterException', problem, { clusterName, nodegroupName: name });
  const moto = await ctx.forward(req);
  if (moto.status !== 200) return moto;
  const motoNg = readJson(moto).nodegroup;
  const ng: NodegroupRecord = {
    name,
    status: 'CREATING',
    requestedAt,
    desiredSize: Number(motoNg.scalingConfig?.desiredSize ?? scaling.desiredSize ?? 2),
    instanceType: (motoNg.instanceTypes ?? body.instanceTypes ?? ['t3.medium'])[0],
    subnets: motoNg.subnets ?? body.subnets ?? [],
  };
  cluster.nodegroups.set(name, ng);
  ctx.log(`eks ${req.region}/${clusterName}/${name}: CREATING (ACTIVE in ${ctx.profile.nodegroupCreateMs} ms)`);
  ctx.timers.after(
    ctx.profile.nodegroupCreateMs,
    `activating node group ${clusterName}/${name}`,
    () => {
      if (cluster.nodegroups.get(name) !== ng || ng.status !== 'CREATING') return;
      if (ng.desiredSize > 0 && !ctx.hasCapacity(ng.instanceType)) {
        // A group made with nodes that EC2 cannot launch never becomes ACTIVE: EKS fails the create with the ASG's
        // launch failure (aws/containers-roadmap#2204; terraform-provider-aws#39904).
        ng.status = 'CREATE_FAILED';
        ng.issues = [launchFailure(ng, cluster.region)];
        ctx.log(`eks ${req.region}/${clusterName}/${name}: CREATE_FAILED, no ${ng.instanceType} capacity`);
        return;
      }
      ng.status = 'ACTIVE';
      applyShape(ctx, cluster, ng);
      ctx.log(`eks ${req.region}/${clusterName}/${name}: ACTIVE with ${ng.desiredSize} node(s)`);
    },
    requestedAt,
  );
  return json(200, { nodegroup: presentNodegroup(cluster, ng, motoNg) });
}

export async function describeNodegroup(
  ctx: EksContext,
  req: AwsRequest,
  clusterName: string,
  name: string,
): Promise<HttpReply> {
  const cluster = ctx.records.get(req.region, clusterName);
  const ng = cluster?.nodegroups.get(name);
  if (cluster && ng?.status === 'DELETING' && ng.ghost) return json(200, { nodegroup: ng.ghost });
  const moto = await ctx.forward(req);
  if (!cluster || !ng || moto.status !== 200) return moto;
  return json(200, { nodegroup: presentNodegroup(cluster, ng, readJson(moto).nodegroup) });
}

export async function listNodegroups(ctx: EksContext, req: AwsRequest, clusterName: string): Promise<HttpReply> {
  const cluster = ctx.records.get(req.region, clusterName);
  if (cluster?.status === 'DELETING') return json(200, { nodegroups: [] });
  const moto = await ctx.forward(req);
  if (!cluster || moto.status !== 200) return moto;
  const body = readJson(moto);
  const names = new Set<string>(body.nodegroups ?? []);
  for (const ng of cluster.nodegroups.values()) names.add(ng.name);
  return json(200, { ...body, nodegroups: [...names] });
}

export async function updateNodegroupConfig(
  ctx: EksContext,
  req: AwsRequest,
  clusterName: string,
  name: string,
): Promise<HttpReply> {
  const cluster = ctx.records.get(req.region, clusterName);
  const ng = cluster?.nodegroups.get(name);
  if (!cluster || !ng) return ctx.forward(req);
  // A DEGRADED group takes an update (that is how it is repaired); one being created, updated or deleted not.
  if (ng.status !== 'ACTIVE' && ng.status !== 'DEGRADED') {
    return restJsonError(
      409,
      'ResourceInUseException',
      `Nodegroup ${name} is in ${ng.status} state; wait until it is ACTIVE.`,
      { clusterName, nodegroupName: name },
    );
  }
  const body = parseJsonBody(req);
  // EKS merges the new scaling config into the current one (moto too): check the result before changing anything.
  const current = await ctx.forward({
    ...req,
    method: 'GET',
    url: `/clusters/${encodeURIComponent(clusterName)}/node-groups/${encodeURIComponent(name)}`,
    body: Buffer.alloc(0),
  });
  const scaling = {
    ...(current.status === 200 ? readJson(current).nodegroup?.scalingConfig : {}),
    ...(body.scalingConfig ?? {}),
  };
  const problem = scalingProblem(scaling);
  if (problem) return restJsonError(400, 'InvalidParameterException', problem, { clusterName, nodegroupName: name });
  const moto = await ctx.forward(req);
  if (moto.status !== 200) return moto;

  const update: UpdateRecord = {
    id: readJson(moto).update?.id ?? randomUUID(),
    nodegroupName: name,
    status: 'InProgress',
    type: 'ConfigUpdate',
    params: updateParams(body),
    createdAt: new Date(),
  };
  cluster.updates.set(update.id, update);
  ng.status = 'UPDATING';
  const desired = Number(scaling.desiredSize ?? ng.desiredSize);
  ctx.log(`eks ${req.region}/${clusterName}/${name}: UPDATING to ${desired} node(s)`);
  ctx.timers.after(ctx.profile.nodegroupUpdateMs, `updating node group ${clusterName}/${name}`, () => {
    if (cluster.nodegroups.get(name) !== ng) return;
    update.status = 'Successful';
    if (desired > ng.desiredSize && !ctx.hasCapacity(ng.instanceType)) {
      // EKS sets the size, the Auto Scaling group cannot launch: DEGRADED with the launch failure in health.
      ng.status = 'DEGRADED';
      ng.issues = [launchFailure(ng, cluster.region)];
      ctx.log(`eks ${req.region}/${clusterName}/${name}: DEGRADED, no ${ng.instanceType} capacity`);
      return;
    }
    ng.desiredSize = desired;
    ng.status = 'ACTIVE';
    ng.issues = [];
    applyShape(ctx, cluster, ng);
    ctx.log(`eks ${req.region}/${clusterName}/${name}: ACTIVE with ${desired} node(s)`);
  });
  return json(200, { update: presentUpdate(update) });
}

export async function deleteNodegroup(
  ctx: EksContext,
  req: AwsRequest,
  clusterName: string,
  name: string,
): Promise<HttpReply> {
  const cluster = ctx.records.get(req.region, clusterName);
  const ng = cluster?.nodegroups.get(name);
  if (!cluster || !ng) return ctx.forward(req);
  if (ng.status === 'DELETING' || ng.status === 'CREATING' || ng.status === 'UPDATING') {
    return restJsonError(409, 'ResourceInUseException', `Nodegroup ${name} is currently in ${ng.status} state.`, {
      clusterName,
      nodegroupName: name,
    });
  }
  const moto = await ctx.forward(req);
  if (moto.status !== 200) return moto;
  ng.status = 'DELETING';
  ng.ghost = presentNodegroup(cluster, ng, readJson(moto).nodegroup);
  ctx.log(`eks ${req.region}/${clusterName}/${name}: DELETING`);
  ctx.timers.after(ctx.profile.nodegroupDeleteMs, `deleting node group ${clusterName}/${name}`, () => {
    if (cluster.nodegroups.get(name) !== ng) return;
    cluster.nodegroups.delete(name);
    if (cluster.endpoint !== undefined) ctx.host.deleteNodeGroup(cluster.region, cluster.name, name);
    ctx.log(`eks ${req.region}/${clusterName}/${name}: deleted`);
  });
  return json(200, { nodegroup: ng.ghost });
}

export async function describeUpdate(
  ctx: EksContext,
  req: AwsRequest,
  clusterName: string,
  updateId: string,
): Promise<HttpReply> {
  const cluster = ctx.records.get(req.region, clusterName);
  const wanted = req.query.get('nodegroupName') ?? undefined;
  const update = cluster?.updates.get(updateId);
  if (!cluster || !update || (wanted !== undefined && update.nodegroupName !== wanted)) {
    return restJsonError(404, 'ResourceNotFoundException', `No update found for ID: ${updateId}`, { clusterName });
  }
  return json(200, { update: presentUpdate(update) });
}

export async function listUpdates(ctx: EksContext, req: AwsRequest, clusterName: string): Promise<HttpReply> {
  const cluster = ctx.records.get(req.region, clusterName);
  if (!cluster)
    return restJsonError(404, 'ResourceNotFoundException', `No cluster found for name: ${clusterName}.`, {
      clusterName,
    });
  const wanted = req.query.get('nodegroupName') ?? undefined;
  const ids = [...cluster.updates.values()].filter((u) => u.nodegroupName === wanted).map((u) => u.id);
  return json(200, { updateIds: ids });
}

/** What EKS reports when the Auto Scaling group cannot get instances (the issue code is the ASG's). */
function launchFailure(ng: NodegroupRecord, region: string) {
  return {
    code: 'AsgInstanceLaunchFailures',
    message:
      `Could not launch On-Demand Instances. InsufficientInstanceCapacity - We currently do not have sufficient ` +
      `${ng.instanceType} capacity in the Availability Zone you requested (${region}a). Our system will be working ` +
      'on provisioning additional capacity. Launching EC2 instance failed.',
    resourceIds: [`eks-${ng.name}-asg`],
  };
}

function applyShape(ctx: EksContext, cluster: ClusterRecord, ng: NodegroupRecord): void {
  if (cluster.endpoint === undefined) return;
  ctx.host.setNodeGroup(cluster.region, cluster.name, {
    name: ng.name,
    desiredSize: ng.desiredSize,
    instanceType: ng.instanceType,
    subnetIds: ng.subnets,
  });
}

function scalingProblem(s: { minSize?: number; maxSize?: number; desiredSize?: number }): string | undefined {
  const { minSize, maxSize, desiredSize } = s;
  if (maxSize !== undefined && maxSize < 1) return 'Maximum capacity must be at least 1';
  if (minSize !== undefined && maxSize !== undefined && minSize > maxSize)
    return 'Minimum capacity cannot be greater than maximum capacity';
  if (desiredSize !== undefined && maxSize !== undefined && desiredSize > maxSize) {
    return `Desired capacity:${desiredSize} can't be greater than max size:${maxSize}`;
  }
  if (desiredSize !== undefined && minSize !== undefined && desiredSize < minSize) {
    return `Desired capacity:${desiredSize} can't be less than min size:${minSize}`;
  }
  return undefined;
}

function updateParams(body: Record<string, any>): Array<{ type: string; value: string }> {
  const params: Array<{ type: string; value: string }> = [];
  const s = body.scalingConfig ?? {};
  if (s.minSize !== undefined) params.push({ type: 'MinSize', value: String(s.minSize) });
  if (s.maxSize !== undefined) params.push({ type: 'MaxSize', value: String(s.maxSize) });
  if (s.desiredSize !== undefined) params.push({ type: 'DesiredSize', value: String(s.desiredSize) });
  if (body.labels) params.push({ type: 'LabelsToAdd', value: JSON.stringify(body.labels.addOrUpdateLabels ?? {}) });
  if (body.taints) params.push({ type: 'TaintsToAdd', value: JSON.stringify(body.taints.addOrUpdateTaints ?? []) });
  return params;
}

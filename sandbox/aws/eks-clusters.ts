// EKS clusters on a timeline: CreateCluster -> CREATING for clusterCreateMs -> the Kubernetes stand-in
// starts -> ACTIVE with its endpoint and CA; DeleteCluster -> DELETING for clusterDeleteMs -> gone. Also the
// cluster security group EKS creates, and the accessConfig moto drops (also on UpdateClusterConfig).
import { randomInt, randomUUID } from 'node:crypto';
import type { Subnet } from '@aws-sdk/client-ec2';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  DeleteSecurityGroupCommand,
  DescribeSubnetsCommand,
} from '@aws-sdk/client-ec2';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import type { HttpReply } from './aws-errors.ts';
import { json, restJsonError } from './aws-errors.ts';
import { EKS_UNSUPPORTED_ZONE_IDS } from './ec2-zones.ts';
import { addCreatorEntry } from './eks-access.ts';
import type { EksContext } from './eks-context.ts';
import { parseJsonBody, readJson } from './eks-context.ts';
import type { AccessConfig, ClusterRecord, UpdateRecord } from './eks-records.ts';
import { presentCluster, presentUpdate } from './eks-records.ts';
import { EKS_CALENDAR, offeredVersion, unsupportedVersion, versionStatus } from './eks-versions.ts';
import { iamPrincipalOf, SANDBOX_ACCOUNT_ID } from './identity.ts';
import type { AwsRequest } from './request-info.ts';

const AUTH_MODES = ['API', 'API_AND_CONFIG_MAP', 'CONFIG_MAP'];

export async function createCluster(ctx: EksContext, req: AwsRequest): Promise<HttpReply> {
  // CREATING lasts the profile's time from the request, as EKS's does: the stand-in's own checks and moto's answer
  // (a few hundred ms here) are not added to the cluster's life.
  const requestedAt = ctx.timers.now();
  const body = parseJsonBody(req);
  const name = String(body.name ?? '');
  const existing = ctx.records.get(req.region, name);
  if (existing)
    return restJsonError(409, 'ResourceInUseException', `Cluster already exists with name: ${name}`, {
      clusterName: name,
    });

  // EKS takes the versions of its calendar in standard or extended support; without one, its default version.
  const version = body.version === undefined ? defaultVersion() : String(body.version);
  if (!offeredVersion(version)) return unsupportedVersion(version);
  const supportType = body.upgradePolicy?.supportType ?? 'EXTENDED';
  if (supportType !== 'STANDARD' && supportType !== 'EXTENDED') {
    return restJsonError(
      400,
      'InvalidParameterException',
      `upgradePolicy.supportType must be STANDARD or EXTENDED, not ${supportType}`,
    );
  }
  const access = accessConfigOf(body.accessConfig);
  if (typeof access === 'string') return restJsonError(400, 'InvalidParameterException', access);
  const vpc = body.resourcesVpcConfig ?? {};
  const ipFamily = body.kubernetesNetworkConfig?.ipFamily === 'ipv6' ? 'ipv6' : 'ipv4';
  const cidrsRefused =
    vpc.publicAccessCidrs === undefined ? undefined : cidrListProblem(vpc.publicAccessCidrs, ipFamily);
  if (cidrsRefused) return restJsonError(400, 'InvalidParameterException', cidrsRefused, { clusterName: name });
  const subnetIds: string[] = vpc.subnetIds ?? [];
  const placement = await subnetsPlacement(ctx, req.region, subnetIds);
  if (typeof placement === 'string')
    return restJsonError(400, 'InvalidParameterException', placement, { clusterName: name });
  const refused = await unsupportedZone(ctx, req.region, placement.zones);
  if (refused) {
    // EKS's own wording (eksctl#817), and the zones it would take in `validZones`.
    const message =
      `Cannot create cluster '${name}' because ${refused.zone}, the targeted availability zone, does not currently ` +
      `have sufficient capacity to support the cluster. Retry and choose from these availability zones: ${refused.valid.join(', ')}`;
    return restJsonError(400, 'UnsupportedAvailabilityZoneException', message, {
      clusterName: name,
      validZones: refused.valid,
    });
  }
  const roleProblem = await roleProblemOf(ctx, String(body.roleArn ?? ''));
  if (roleProblem) return restJsonError(400, 'InvalidParameterException', roleProblem, { clusterName: name });

  const moto = await ctx.forward(req);
  if (moto.status !== 200) return moto;
  const motoCluster = readJson(moto).cluster;

  const clusterSecurityGroupId = await createClusterSecurityGroup(ctx, req.region, name, placement.vpcId);
  const record: ClusterRecord = {
    region: req.region,
    name,
    status: 'CREATING',
    requestedAt,
    version,
    supportType,
    accessConfig: access,
    vpcId: placement.vpcId,
    subnetIds,
    securityGroupIds: vpc.securityGroupIds ?? [],
    clusterSecurityGroupId,
    endpointPublicAccess: vpc.endpointPublicAccess ?? true,
    endpointPrivateAccess: vpc.endpointPrivateAccess ?? false,
    publicAccessCidrs: vpc.publicAccessCidrs ?? ['0.0.0.0/0'],
    ipFamily,
    nodegroups: new Map(),
    updates: new Map(),
    creatorArn: await creatorPrincipal(ctx),
  };
  // With access entries on, EKS shows the creator's admin rights as an access entry of its own.
  if (access.bootstrapClusterCreatorAdminPermissions && access.authenticationMode !== 'CONFIG_MAP')
    addCreatorEntry(record, record.creatorArn!);
  ctx.records.put(record);
  ctx.log(`eks ${req.region}/${name}: CREATING (ACTIVE in ${ctx.profile.clusterCreateMs} ms)`);
  ctx.timers.after(
    ctx.profile.clusterCreateMs,
    `activating cluster ${req.region}/${name}`,
    () => activate(ctx, record),
    requestedAt,
  );
  return json(200, { cluster: presentCluster(record, motoCluster) });
}

async function activate(ctx: EksContext, record: ClusterRecord): Promise<void> {
  if (ctx.records.get(record.region, record.name) !== record || record.status !== 'CREATING') return;
  try {
    const started = await ctx.host.startCluster({
      name: record.name,
      region: record.region,
      accountId: SANDBOX_ACCOUNT_ID,
      vpcId: record.vpcId,
      subnetIds: record.subnetIds,
      clusterSecurityGroupId: record.clusterSecurityGroupId,
      kubernetesVersion: record.version,
    });
    record.endpoint = started.endpoint;
    record.caPem = started.caPem;
    record.status = 'ACTIVE';
    ctx.log(`eks ${record.region}/${record.name}: ACTIVE at ${started.endpoint}`);
    await ctx.onActive?.(record.region, record.vpcId, record.subnetIds).catch((err: Error) => {
      ctx.log(`eks ${record.region}/${record.name}: what follows ACTIVE failed: ${err.message}`);
    });
  } catch (err) {
    record.status = 'FAILED';
    ctx.log(
      `eks ${record.region}/${record.name}: FAILED, the Kubernetes stand-in did not start: ${(err as Error).message}`,
    );
  }
}

/** The creator as EKS records it: a session's role by its ARN with the role's path (what IAM has). */
async function creatorPrincipal(ctx: EksContext): Promise<string> {
  const arn = iamPrincipalOf(ctx.callerArn());
  const name = /:role\/([^/]+)$/.exec(arn)?.[1];
  if (!name) return arn;
  try {
    return (await ctx.moto.iam().send(new GetRoleCommand({ RoleName: name }))).Role?.Arn ?? arn;
  } catch {
    return arn;
  }
}

export async function describeCluster(ctx: EksContext, req: AwsRequest, name: string): Promise<HttpReply> {
  const record = ctx.records.get(req.region, name);
  const moto = await ctx.forward(req);
  if (!record) return moto;
  if (moto.status === 404) {
    if (record.status === 'DELETING' && record.ghost) return json(200, { cluster: record.ghost });
    ctx.records.remove(req.region, name);
    return moto;
  }
  if (moto.status !== 200) return moto;
  return json(200, { cluster: presentCluster(record, readJson(moto).cluster) });
}

export async function listClusters(ctx: EksContext, req: AwsRequest): Promise<HttpReply> {
  const moto = await ctx.forward(req);
  if (moto.status !== 200) return moto;
  const body = readJson(moto);
  const names = new Set<string>(body.clusters ?? []);
  for (const r of ctx.records.inRegion(req.region)) if (r.status === 'DELETING') names.add(r.name);
  return json(200, { ...body, clusters: [...names] });
}

export async function deleteCluster(ctx: EksContext, req: AwsRequest, name: string): Promise<HttpReply> {
  const record = ctx.records.get(req.region, name);
  if (!record) return ctx.forward(req);
  if (record.status === 'DELETING') {
    return restJsonError(409, 'ResourceInUseException', `Cluster ${name} is already being deleted.`, {
      clusterName: name,
    });
  }
  if (record.status === 'CREATING') {
    return restJsonError(
      409,
      'ResourceInUseException',
      `Cluster ${name} is currently being created; it can be deleted once it is ACTIVE or FAILED.`,
      { clusterName: name },
    );
  }
  if (record.nodegroups.size > 0) {
    return restJsonError(409, 'ResourceInUseException', 'Cluster has nodegroups attached', { clusterName: name });
  }
  const moto = await ctx.forward(req);
  if (moto.status !== 200) return moto;
  record.status = 'DELETING';
  record.ghost = presentCluster(record, readJson(moto).cluster);
  ctx.log(`eks ${req.region}/${name}: DELETING (gone in ${ctx.profile.clusterDeleteMs} ms)`);
  ctx.timers.after(ctx.profile.clusterDeleteMs, `deleting cluster ${req.region}/${name}`, () =>
    finishDelete(ctx, record),
  );
  return json(200, { cluster: record.ghost });
}

/**
 * UpdateClusterConfig: moto applies logging and VPC changes and answers with the cluster; EKS answers with an
 * update. The gateway also applies what moto drops (accessConfig, endpoint access) and keeps the update for
 * DescribeUpdate / ListUpdates. Applied at once (EKS takes minutes, UPDATING meanwhile).
 */
export async function updateClusterConfig(ctx: EksContext, req: AwsRequest, name: string): Promise<HttpReply> {
  const record = ctx.records.get(req.region, name);
  if (!record) return ctx.forward(req);
  if (record.status !== 'ACTIVE') {
    return restJsonError(
      409,
      'ResourceInUseException',
      `Cluster ${name} is in ${record.status} state; wait until it is ACTIVE.`,
      { clusterName: name },
    );
  }
  const body = parseJsonBody(req);
  const mode = body.accessConfig?.authenticationMode;
  if (mode !== undefined) {
    // EKS only moves towards API: CONFIG_MAP -> API_AND_CONFIG_MAP -> API.
    const order = ['CONFIG_MAP', 'API_AND_CONFIG_MAP', 'API'];
    if (order.indexOf(mode) < 0 || order.indexOf(mode) < order.indexOf(record.accessConfig.authenticationMode)) {
      return restJsonError(
        400,
        'InvalidParameterException',
        `Unsupported authentication mode update from ${record.accessConfig.authenticationMode} to ${mode}`,
        { clusterName: name },
      );
    }
  }
  const refused = publicAccessCidrsProblem(record, body.resourcesVpcConfig ?? {});
  if (refused) return restJsonError(400, 'InvalidParameterException', refused, { clusterName: name });
  const reply = await ctx.forward(req);
  if (reply.status !== 200) return reply;
  const params: Array<{ type: string; value: string }> = [];
  let type = 'ConfigUpdate';
  if (mode !== undefined) {
    record.accessConfig.authenticationMode = mode;
    params.push({ type: 'AuthenticationMode', value: mode });
    type = 'AccessConfigUpdate';
  }
  const vpc = body.resourcesVpcConfig ?? {};
  for (const key of ['endpointPublicAccess', 'endpointPrivateAccess'] as const) {
    if (vpc[key] === undefined) continue;
    record[key] = Boolean(vpc[key]);
    params.push({
      type: key === 'endpointPublicAccess' ? 'EndpointPublicAccess' : 'EndpointPrivateAccess',
      value: String(vpc[key]),
    });
    type = 'EndpointAccessUpdate';
  }
  let endpointCidrs: string[] | undefined;
  if (vpc.publicAccessCidrs) {
    endpointCidrs = vpc.publicAccessCidrs;
    params.push({ type: 'PublicAccessCidrs', value: JSON.stringify(vpc.publicAccessCidrs) });
    type = 'EndpointAccessUpdate';
  }
  if (body.logging) {
    params.push({ type: 'ClusterLogging', value: JSON.stringify(body.logging.clusterLogging ?? []) });
    type = 'LoggingUpdate';
  }
  if (!endpointCidrs) {
    const update = { id: randomUUID(), status: 'Successful' as const, type, params, createdAt: new Date() };
    record.updates.set(update.id, update);
    return json(200, { update: presentUpdate(update) });
  }
  // An endpoint change takes minutes on EKS: the cluster is UPDATING and refuses other updates meanwhile.
  const update: UpdateRecord = { id: randomUUID(), status: 'InProgress', type, params, createdAt: new Date() };
  record.updates.set(update.id, update);
  record.status = 'UPDATING';
  ctx.timers.after(ctx.profile.nodegroupUpdateMs, `endpoint update of ${req.region}/${name}`, async () => {
    if (ctx.records.get(record.region, record.name) !== record) return;
    record.publicAccessCidrs = endpointCidrs;
    record.status = 'ACTIVE';
    update.status = 'Successful';
  });
  return json(200, { update: presentUpdate(update) });
}

async function finishDelete(ctx: EksContext, record: ClusterRecord): Promise<void> {
  try {
    if (record.endpoint !== undefined) await ctx.host.stopCluster(record.region, record.name);
  } catch (err) {
    ctx.log(
      `eks ${record.region}/${record.name}: the Kubernetes stand-in did not stop cleanly: ${(err as Error).message}`,
    );
  }
  // The security group goes before the cluster disappears, so whoever waits for "gone" can delete the VPC.
  try {
    await ctx.moto.ec2(record.region).send(new DeleteSecurityGroupCommand({ GroupId: record.clusterSecurityGroupId }));
  } catch (err) {
    // EKS leaves its security group behind too when something else still references it.
    ctx.log(
      `eks ${record.region}/${record.name}: cluster security group ${record.clusterSecurityGroupId} kept: ${(err as Error).message}`,
    );
  }
  ctx.records.remove(record.region, record.name);
  ctx.log(`eks ${record.region}/${record.name}: deleted`);
}

/**
 * EKS's public endpoint allows at most this many CIDR blocks ("Public endpoint access CIDR ranges per cluster",
 * not adjustable; EKS service quotas), given at create or update.
 */
const MAX_PUBLIC_ACCESS_CIDRS = 40;
const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
/** Loose on purpose: only to tell an IPv6 block (refused on an IPv4 cluster) from a malformed one. */
const IPV6_CIDR = /^[0-9a-f:]*:[0-9a-f:.]*\/\d{1,3}$/i;

/**
 * What EKS refuses in publicAccessCidrs, at CreateCluster and UpdateClusterConfig alike: none, more than 40, a
 * malformed block, or an IPv6 block on an IPv4 cluster ("You can't add IPv6 CIDR blocks to IPv4 clusters",
 * VpcConfigRequest.publicAccessCidrs in the EKS API reference). The codes are EKS's; the wording is ours.
 */
function cidrListProblem(cidrs: unknown, ipFamily: 'ipv4' | 'ipv6'): string | undefined {
  if (!Array.isArray(cidrs) || cidrs.length === 0) return 'publicAccessCidrs must name at least one CIDR block';
  if (cidrs.length > MAX_PUBLIC_ACCESS_CIDRS)
    return `The maximum number of publicAccessCidrs is ${MAX_PUBLIC_ACCESS_CIDRS}, got ${cidrs.length}`;
  const v6 = cidrs.filter((c) => IPV6_CIDR.test(String(c)));
  if (v6.length && ipFamily === 'ipv4')
    return `IPv6 CIDR blocks can't be added to an IPv4 cluster's public endpoint: ${v6.join(', ')}`;
  const bad = cidrs.filter((c) => {
    if (IPV6_CIDR.test(String(c))) return false;
    const m = IPV4_CIDR.exec(String(c));
    return !m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32;
  });
  if (bad.length) return `The following CIDRs are invalid in publicAccessCidrs: ${bad.join(', ')}`;
  return undefined;
}

/** What EKS refuses in an endpoint access change: a bad or excess CIDR, or no change at all. */
function publicAccessCidrsProblem(record: ClusterRecord, vpc: Record<string, any>): string | undefined {
  const cidrs: unknown = vpc.publicAccessCidrs;
  if (cidrs === undefined) return undefined;
  const refused = cidrListProblem(cidrs, record.ipFamily ?? 'ipv4');
  if (refused) return refused;
  if (!Array.isArray(cidrs)) return undefined;
  const same = [...cidrs].sort().join(',') === [...record.publicAccessCidrs].sort().join(',');
  const other = ['endpointPublicAccess', 'endpointPrivateAccess'].some(
    (k) => vpc[k] !== undefined && Boolean(vpc[k]) !== record[k as 'endpointPublicAccess'],
  );
  if (same && !other) {
    return (
      `Cluster is already at the desired configuration with endpointPrivateAccess: ${record.endpointPrivateAccess}` +
      ` , endpointPublicAccess: ${record.endpointPublicAccess}, and Public Endpoint Restrictions: [${record.publicAccessCidrs.join(', ')}]`
    );
  }
  return undefined;
}

function accessConfigOf(raw: any): AccessConfig | string {
  const mode = raw?.authenticationMode ?? 'CONFIG_MAP';
  if (!AUTH_MODES.includes(mode)) {
    return `1 validation error detected: Value '${mode}' at 'accessConfig.authenticationMode' failed to satisfy constraint: Member must satisfy enum value set: [${AUTH_MODES.join(', ')}]`;
  }
  return {
    authenticationMode: mode,
    bootstrapClusterCreatorAdminPermissions: raw?.bootstrapClusterCreatorAdminPermissions ?? true,
  };
}

function defaultVersion(): string {
  return (EKS_CALENDAR.find((e) => versionStatus(e, Date.now()) === 'STANDARD_SUPPORT') ?? EKS_CALENDAR[0]!).version;
}

/** The first subnet zone whose zone ID EKS refuses, with the zones of the region it accepts. */
async function unsupportedZone(ctx: EksContext, region: string, names: string[]) {
  const all = await ctx.zones.zonesOf(region);
  const bad = all.find((z) => names.includes(z.name) && EKS_UNSUPPORTED_ZONE_IDS.includes(z.id));
  if (!bad) return undefined;
  return { zone: bad.name, valid: all.filter((z) => !EKS_UNSUPPORTED_ZONE_IDS.includes(z.id)).map((z) => z.name) };
}

async function subnetsPlacement(
  ctx: EksContext,
  region: string,
  subnetIds: string[],
): Promise<{ vpcId: string; zones: string[] } | string> {
  if (subnetIds.length === 0) return 'Subnets specified must be in at least two different AZs';
  let subnets: Subnet[];
  try {
    subnets = (await ctx.moto.ec2(region).send(new DescribeSubnetsCommand({ SubnetIds: subnetIds }))).Subnets ?? [];
  } catch (err) {
    return `${(err as Error).message} (Service: AmazonEC2; Status Code: 400; Error Code: InvalidSubnetID.NotFound)`;
  }
  const vpcs = new Set(subnets.map((s) => s.VpcId));
  if (vpcs.size !== 1) return 'Subnets specified must belong to the same VPC';
  const zones = new Set(subnets.map((s) => s.AvailabilityZone));
  if (zones.size < 2) return 'Subnets specified must be in at least two different AZs';
  return { vpcId: subnets[0].VpcId!, zones: [...zones].filter((z): z is string => !!z) };
}

async function roleProblemOf(ctx: EksContext, roleArn: string): Promise<string | undefined> {
  const roleName = /:role\/(?:.*\/)?([^/]+)$/.exec(roleArn)?.[1];
  const problem = `Role with arn: ${roleArn}, could not be assumed because it does not exist or the trusted entity is not correct`;
  if (!roleName) return problem;
  try {
    await ctx.moto.iam().send(new GetRoleCommand({ RoleName: roleName }));
    return undefined;
  } catch {
    return problem;
  }
}

async function createClusterSecurityGroup(
  ctx: EksContext,
  region: string,
  cluster: string,
  vpcId: string,
): Promise<string> {
  const ec2 = ctx.moto.ec2(region);
  const groupName = `eks-cluster-sg-${cluster}-${randomInt(1_000_000_000, 9_999_999_999)}`;
  const created = await ec2.send(
    new CreateSecurityGroupCommand({
      GroupName: groupName,
      VpcId: vpcId,
      Description:
        'EKS created security group applied to ENI that is attached to EKS Control Plane master nodes, as well as any managed workloads.',
      TagSpecifications: [
        {
          ResourceType: 'security-group',
          Tags: [
            { Key: 'Name', Value: groupName },
            { Key: 'aws:eks:cluster-name', Value: cluster },
            { Key: `kubernetes.io/cluster/${cluster}`, Value: 'owned' },
          ],
        },
      ],
    }),
  );
  const groupId = created.GroupId!;
  // As EKS makes it: members talk to each other freely (egress to anywhere is the default).
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: groupId }] }],
    }),
  );
  return groupId;
}

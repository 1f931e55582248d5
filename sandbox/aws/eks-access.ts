// EKS access entries (moto has none): who, besides the cluster's creator, the cluster's Kubernetes API admits.
// EKS refuses them while the cluster authenticates by the aws-auth ConfigMap alone, refuses an STS
// assumed-role ARN as a principal (the IAM role is the principal), and admits to Kubernetes only principals with
// an entry (or the creator, whose entry CreateCluster makes when bootstrapClusterCreatorAdminPermissions is on).
// An entry names one existing IAM principal, and a role's ARN with its path (EKS user guide, "Create access
// entries"): an ARN of a role or user IAM does not have is refused, so a role ARN whose path was dropped is too.
import { GetRoleCommand, GetUserCommand } from '@aws-sdk/client-iam';
import type { EksTokenVerifier } from '../contracts.ts';
import type { HttpReply } from './aws-errors.ts';
import { json, restJsonError } from './aws-errors.ts';
import type { EksContext } from './eks-context.ts';
import { parseJsonBody } from './eks-context.ts';
import type { AccessEntryRecord, ClusterRecord, EksRecords } from './eks-records.ts';
import { isPrincipalOf, SANDBOX_ACCOUNT_ID, SANDBOX_USER_ARN } from './identity.ts';
import type { AwsRequest } from './request-info.ts';

const POLICY_PREFIX = 'arn:aws:eks::aws:cluster-access-policy/';
const POLICIES = ['AmazonEKSClusterAdminPolicy', 'AmazonEKSAdminPolicy', 'AmazonEKSEditPolicy', 'AmazonEKSViewPolicy'];
const IAM_PRINCIPAL = /^arn:aws:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/;

export const CLUSTER_ADMIN_POLICY = `${POLICY_PREFIX}AmazonEKSClusterAdminPolicy`;

function entriesOf(record: ClusterRecord): Map<string, AccessEntryRecord> {
  return (record.accessEntries ??= new Map());
}

/** The cluster in a state that takes access entries, or EKS's refusal. */
type Found = { cluster: ClusterRecord; reply?: undefined } | { cluster?: undefined; reply: HttpReply };

function clusterFor(ctx: EksContext, req: AwsRequest, name: string): Found {
  const cluster = ctx.records.get(req.region, name);
  if (!cluster || cluster.status === 'DELETING')
    return {
      reply: restJsonError(404, 'ResourceNotFoundException', `No cluster found for name: ${name}.`, {
        clusterName: name,
      }),
    };
  if (cluster.accessConfig.authenticationMode === 'CONFIG_MAP') {
    return {
      reply: restJsonError(
        400,
        'InvalidRequestException',
        "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.",
        { clusterName: name },
      ),
    };
  }
  return { cluster };
}

function notFound(name: string): HttpReply {
  return restJsonError(
    404,
    'ResourceNotFoundException',
    "The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'.",
    { clusterName: name },
  );
}

function present(record: ClusterRecord, e: AccessEntryRecord): Record<string, unknown> {
  const principal = e.principalArn.split(':').slice(5).join(':');
  return {
    clusterName: record.name,
    principalArn: e.principalArn,
    kubernetesGroups: [],
    accessEntryArn: `arn:aws:eks:${record.region}:${SANDBOX_ACCOUNT_ID}:access-entry/${record.name}/${principal}`,
    createdAt: e.createdAt.getTime() / 1000,
    modifiedAt: e.createdAt.getTime() / 1000,
    tags: {},
    username: e.principalArn,
    type: 'STANDARD',
  };
}

/** The entry CreateCluster makes for its creator (bootstrapClusterCreatorAdminPermissions). */
export function addCreatorEntry(record: ClusterRecord, principalArn: string): void {
  const now = new Date();
  entriesOf(record).set(principalArn, {
    principalArn,
    createdAt: now,
    policies: new Map([[CLUSTER_ADMIN_POLICY, { accessScope: { type: 'cluster' }, associatedAt: now }]]),
  });
}

/** Whether IAM has this role or user at exactly this ARN (path included). */
async function iamHas(ctx: EksContext, principalArn: string): Promise<boolean> {
  const [, kind, rest] = /^arn:aws:iam::\d{12}:(role|user)\/(.+)$/.exec(principalArn) ?? [];
  const name = rest?.split('/').pop();
  if (!name) return false;
  try {
    const iam = ctx.moto.iam();
    const arn =
      kind === 'role'
        ? (await iam.send(new GetRoleCommand({ RoleName: name }))).Role?.Arn
        : (await iam.send(new GetUserCommand({ UserName: name }))).User?.Arn;
    return arn === principalArn;
  } catch {
    return false;
  }
}

export async function createAccessEntry(ctx: EksContext, req: AwsRequest, name: string): Promise<HttpReply> {
  const { cluster, reply } = clusterFor(ctx, req, name);
  if (reply) return reply;
  const principalArn = String(parseJsonBody(req).principalArn ?? '');
  if (!IAM_PRINCIPAL.test(principalArn)) {
    return restJsonError(400, 'InvalidParameterException', `The principalArn parameter format is not valid`, {
      clusterName: name,
    });
  }
  // The sandbox's own user is the account's caller but no IAM user in moto: it stands for an existing one.
  if (principalArn !== SANDBOX_USER_ARN && !(await iamHas(ctx, principalArn))) {
    return restJsonError(400, 'InvalidParameterException', 'The specified principalArn is invalid: invalid principal', {
      clusterName: name,
    });
  }
  const entries = entriesOf(cluster);
  if (entries.has(principalArn)) {
    return restJsonError(
      409,
      'ResourceInUseException',
      'The specified access entry resource is already in use on this cluster.',
      { clusterName: name },
    );
  }
  const entry: AccessEntryRecord = { principalArn, createdAt: new Date(), policies: new Map() };
  entries.set(principalArn, entry);
  return json(200, { accessEntry: present(cluster, entry) });
}

function entryFor(ctx: EksContext, req: AwsRequest, name: string, principalArn: string) {
  const { cluster, reply } = clusterFor(ctx, req, name);
  if (reply) return { reply };
  const entry = entriesOf(cluster).get(principalArn);
  return entry ? { cluster, entry } : { reply: notFound(name) };
}

export function describeAccessEntry(ctx: EksContext, req: AwsRequest, name: string, principalArn: string): HttpReply {
  const found = entryFor(ctx, req, name, principalArn);
  if (found.reply) return found.reply;
  return json(200, { accessEntry: present(found.cluster!, found.entry!) });
}

export function listAccessEntries(ctx: EksContext, req: AwsRequest, name: string): HttpReply {
  const { cluster, reply } = clusterFor(ctx, req, name);
  if (reply) return reply;
  return json(200, { accessEntries: [...entriesOf(cluster).keys()] });
}

export function associateAccessPolicy(ctx: EksContext, req: AwsRequest, name: string, principalArn: string): HttpReply {
  const found = entryFor(ctx, req, name, principalArn);
  if (found.reply) return found.reply;
  const body = parseJsonBody(req);
  const policyArn = String(body.policyArn ?? '');
  if (!policyArn.startsWith(POLICY_PREFIX) || !POLICIES.includes(policyArn.slice(POLICY_PREFIX.length))) {
    return restJsonError(400, 'InvalidParameterException', `The policy ${policyArn} is not a valid access policy.`, {
      clusterName: name,
    });
  }
  const scope = body.accessScope ?? {};
  if (scope.type !== 'cluster' && scope.type !== 'namespace') {
    return restJsonError(400, 'InvalidParameterException', 'accessScope.type must be cluster or namespace', {
      clusterName: name,
    });
  }
  const associated = {
    accessScope: { type: scope.type, namespaces: scope.namespaces ?? [] },
    associatedAt: new Date(),
  };
  found.entry!.policies.set(policyArn, associated);
  return json(200, {
    clusterName: name,
    principalArn,
    associatedAccessPolicy: presentPolicy(policyArn, associated),
  });
}

function presentPolicy(policyArn: string, p: { accessScope: unknown; associatedAt: Date }) {
  const at = p.associatedAt.getTime() / 1000;
  return { policyArn, accessScope: p.accessScope, associatedAt: at, modifiedAt: at };
}

export function listAssociatedAccessPolicies(
  ctx: EksContext,
  req: AwsRequest,
  name: string,
  principalArn: string,
): HttpReply {
  const found = entryFor(ctx, req, name, principalArn);
  if (found.reply) return found.reply;
  return json(200, {
    clusterName: name,
    principalArn,
    associatedAccessPolicies: [...found.entry!.policies].map(([arn, p]) => presentPolicy(arn, p)),
  });
}

/** Why EKS would refuse this principal on this cluster's Kubernetes API, or undefined when it admits it. */
export function refusal(record: ClusterRecord, callerArn: string): string | undefined {
  const creatorAdmin =
    record.accessConfig.bootstrapClusterCreatorAdminPermissions &&
    !!record.creatorArn &&
    isPrincipalOf(record.creatorArn, callerArn);
  if (record.accessConfig.authenticationMode === 'CONFIG_MAP') {
    return creatorAdmin ? undefined : `${callerArn} is not the cluster's creator and is not in the aws-auth ConfigMap`;
  }
  const entries = [...(record.accessEntries?.values() ?? [])];
  if (entries.some((e) => e.policies.size && isPrincipalOf(e.principalArn, callerArn))) return undefined;
  if (creatorAdmin && record.accessConfig.authenticationMode === 'API_AND_CONFIG_MAP') return undefined;
  return `${callerArn} has no access entry with an access policy on cluster ${record.name}`;
}

/**
 * The EKS token check with EKS's authorization by principal on top: a valid token of a principal the cluster
 * does not know is refused (kubectl: "You must be logged in to the server (Unauthorized)"). Stand-ins started
 * without an EKS cluster behind them (the Kubernetes tests' own) are left as they were.
 */
export function authorizingByPrincipal(records: EksRecords, verify: EksTokenVerifier): EksTokenVerifier {
  return async (token, clusterName) => {
    const verdict = await verify(token, clusterName);
    if (!verdict.ok) return verdict;
    const clusters = records.named(clusterName);
    if (clusters.length === 0) return verdict;
    const refusals = clusters.map((c) => refusal(c, verdict.arn));
    // Admitted when any cluster of that name (in any region) admits the principal.
    return refusals.every((r) => r !== undefined) ? { ok: false, reason: refusals[0]! } : verdict;
  };
}

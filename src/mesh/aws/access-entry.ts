// The worker's own way into a cluster: an EKS access entry for the principal it runs as, with
// AmazonEKSClusterAdminPolicy on the whole cluster. Only the principal that created a cluster is admin by itself;
// a worker redeployed under another role would be refused by every cluster without this. What EKS wants:
// - the principal is an existing IAM role or user: an assumed-role session ARN (what STS answers for a role) is
//   refused, and so is a role ARN without the role's path (arn:aws:sts::<acct>:assumed-role/<name>/<session> does
//   not say it), so the role's ARN is read from IAM (GetRole);
// - access entries need authenticationMode API or API_AND_CONFIG_MAP (CreateCluster sets the latter).
import type { AccessEntry, AssociatedAccessPolicy } from '@aws-sdk/client-eks';
import {
  AssociateAccessPolicyCommand,
  CreateAccessEntryCommand,
  DescribeAccessEntryCommand,
  ListAssociatedAccessPoliciesCommand,
} from '@aws-sdk/client-eks';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { aws, awsOrMissing, isAwsError } from '../../aws/errors.ts';
import type { Deps } from '../../deps.ts';
import type { Observation, StepOutcome } from '../../steps/step.ts';
import type { ClusterScope } from './common.ts';
import { eksName } from './eks-cluster.ts';

export const CLUSTER_ADMIN_POLICY = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy';

/** The role name of an assumed-role session ARN, or undefined for any other principal (a user, a role). */
export function sessionRoleName(callerArn: string): string | undefined {
  return /^arn:aws[\w-]*:sts::\d{12}:assumed-role\/([^/]+)\/[^/]+$/.exec(callerArn)?.[1];
}

/**
 * The principal the worker runs as now, as EKS wants it: a session becomes its role's ARN with the role's path
 * (GetRole). GetCallerIdentity and GetRole once per pass thanks to the memoized clients.
 */
export async function workerPrincipal(deps: Deps): Promise<string> {
  const id = await aws('sts:GetCallerIdentity', () => deps.aws.sts().send(new GetCallerIdentityCommand({})));
  if (!id.Arn) throw new Error('STS GetCallerIdentity answered without an ARN');
  const roleName = sessionRoleName(id.Arn);
  if (!roleName) return id.Arn;
  const role = await aws('iam:GetRole', () => deps.aws.iam().send(new GetRoleCommand({ RoleName: roleName })));
  if (!role.Role?.Arn) throw new Error(`IAM GetRole ${roleName} answered without an ARN`);
  return role.Role.Arn;
}

interface Found {
  principal: string;
  entry?: AccessEntry;
  admin?: AssociatedAccessPolicy;
}

async function find(s: ClusterScope): Promise<Found> {
  const eks = s.deps.aws.eks(s.cluster.region);
  const clusterName = eksName(s);
  const principal = await workerPrincipal(s.deps);
  const out = await awsOrMissing(
    'eks:DescribeAccessEntry',
    () => eks.send(new DescribeAccessEntryCommand({ clusterName, principalArn: principal })),
    'ResourceNotFoundException',
  );
  if (!out?.accessEntry) return { principal };
  const policies = await aws('eks:ListAssociatedAccessPolicies', () =>
    eks.send(new ListAssociatedAccessPoliciesCommand({ clusterName, principalArn: principal })),
  );
  const admin = policies.associatedAccessPolicies?.find(
    (p) => p.policyArn === CLUSTER_ADMIN_POLICY && p.accessScope?.type === 'cluster',
  );
  return { principal, entry: out.accessEntry, admin };
}

export async function observe(s: ClusterScope): Promise<Observation> {
  let f: Found;
  try {
    f = await find(s);
  } catch (err) {
    // No cluster yet: the entry comes right after it.
    if (isAwsError(err, 'ResourceNotFoundException', 'InvalidRequestException')) {
      return { state: 'missing', detail: 'for the worker, once the cluster exists' };
    }
    throw err;
  }
  if (f.admin) return { state: 'ok', detail: `${f.principal}: cluster admin` };
  return { state: 'missing', detail: `${f.principal}: AmazonEKSClusterAdminPolicy, cluster scope` };
}

export async function ensure(s: ClusterScope): Promise<StepOutcome> {
  const eks = s.deps.aws.eks(s.cluster.region);
  const clusterName = eksName(s);
  const f = await find(s);
  let changed = false;
  if (!f.entry) {
    try {
      await aws('eks:CreateAccessEntry', () =>
        eks.send(new CreateAccessEntryCommand({ clusterName, principalArn: f.principal, type: 'STANDARD' })),
      );
      changed = true;
    } catch (err) {
      // Made by a run whose answer was lost: the entry is there, which is what we want.
      if (!isAwsError(err, 'ResourceInUseException')) throw err;
    }
  }
  if (!f.admin) {
    await aws('eks:AssociateAccessPolicy', () =>
      eks.send(
        new AssociateAccessPolicyCommand({
          clusterName,
          principalArn: f.principal,
          policyArn: CLUSTER_ADMIN_POLICY,
          accessScope: { type: 'cluster' },
        }),
      ),
    );
    changed = true;
  }
  return {
    summary: `access entry on ${clusterName} for ${f.principal}: cluster admin (${changed ? 'granted' : 'exists'})`,
    changed,
    resources: { principal: f.principal },
  };
}

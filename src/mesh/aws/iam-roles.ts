// The two IAM roles EKS needs: the cluster role (EKS itself assumes it) and the node role (the nodes' EC2
// instances). Global, one pair per mesh. Trust policies and the managed policies to attach live in infra/iam/.
// No AmazonEKS_CNI_Policy: the VPC CNI is removed in favour of Calico. A role of the same name that does not
// carry the mesh's tag is never adopted (and so never deleted).
import { readFile } from 'node:fs/promises';
import type { IAMClient, Role } from '@aws-sdk/client-iam';
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  ListAttachedRolePoliciesCommand,
  ListInstanceProfilesForRoleCommand,
  ListRolePoliciesCommand,
  RemoveRoleFromInstanceProfileCommand,
} from '@aws-sdk/client-iam';
import { aws, awsOrMissing, isAwsError } from '../../aws/errors.ts';
import { type Component, clusterRoleName, iamTags, MESH_TAG, nodeRoleName } from '../../aws/tags.ts';
import type { Deps } from '../../deps.ts';
import { PermanentError } from '../../errors.ts';
import type { Observation, StepContext, StepOutcome } from '../../steps/step.ts';
import { deleteRetrying, removedOutcome } from './common.ts';

const IAM_DIR = new URL('../../../infra/iam/', import.meta.url);
const NO_SUCH = ['NoSuchEntityException', 'NoSuchEntity'];

export type RoleKind = 'cluster' | 'node';

interface RoleDefinition {
  trustPolicy: string;
  managedPolicies: string[];
}

export async function roleDefinition(kind: RoleKind): Promise<{ trust: string; policies: string[] }> {
  const roles = JSON.parse(await readFile(new URL('roles.json', IAM_DIR), 'utf8')) as Record<RoleKind, RoleDefinition>;
  const def = roles[kind];
  const trust = await readFile(new URL(def.trustPolicy, IAM_DIR), 'utf8');
  return { trust: JSON.stringify(JSON.parse(trust)), policies: def.managedPolicies };
}

export function roleName(mesh: string, kind: RoleKind): string {
  return kind === 'cluster' ? clusterRoleName(mesh) : nodeRoleName(mesh);
}

export async function getRole(iam: IAMClient, name: string): Promise<Role | undefined> {
  const out = await awsOrMissing('iam:GetRole', () => iam.send(new GetRoleCommand({ RoleName: name })), ...NO_SUCH);
  return out?.Role;
}

/** The ARN of a role the IAM step made; a clear error when it is not there yet. */
export async function requireRoleArn(deps: Deps, kind: RoleKind): Promise<string> {
  const name = roleName(deps.spec.name, kind);
  const role = await getRole(deps.aws.iam(), name);
  if (!role?.Arn) throw new Error(`IAM role ${name} is not there yet (the IAM step runs first)`);
  return role.Arn;
}

async function attachedPolicies(iam: IAMClient, name: string): Promise<string[]> {
  const out = await aws('iam:ListAttachedRolePolicies', () =>
    iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name })),
  );
  return (out.AttachedPolicies ?? []).map((p) => p.PolicyArn!);
}

export async function observe(deps: Deps, kind: RoleKind): Promise<Observation> {
  const iam = deps.aws.iam();
  const name = roleName(deps.spec.name, kind);
  const role = await getRole(iam, name);
  if (!role) return { state: 'missing', detail: name };
  const { policies } = await roleDefinition(kind);
  const have = await attachedPolicies(iam, name);
  const missing = policies.filter((p) => !have.includes(p));
  return missing.length
    ? { state: 'repair', detail: `${name}: ${missing.length} policies to attach` }
    : { state: 'ok', detail: name };
}

export async function ensure(deps: Deps, kind: RoleKind, ctx: StepContext): Promise<StepOutcome> {
  const iam = deps.aws.iam();
  const mesh = deps.spec.name;
  const name = roleName(mesh, kind);
  const { trust, policies } = await roleDefinition(kind);
  let role = await getRole(iam, name);
  let changed = false;
  if (role) {
    const owner = role.Tags?.find((t) => t.Key === MESH_TAG)?.Value;
    if (owner !== mesh) {
      throw new PermanentError(`IAM role ${name} exists but is not tagged ${MESH_TAG}=${mesh}`, {
        code: 'RoleNotManaged',
        hint: `rename the mesh, or tag the role ${MESH_TAG}=${mesh} if meshops may manage (and delete) it`,
      });
    }
  } else {
    const component: Component = kind === 'cluster' ? 'role-cluster' : 'role-node';
    try {
      const out = await aws('iam:CreateRole', () =>
        iam.send(
          new CreateRoleCommand({
            RoleName: name,
            // The worker policy (infra/iam/) lets meshops change roles under this path only.
            Path: '/meshops/',
            AssumeRolePolicyDocument: trust,
            Description: `meshops ${mesh}: EKS ${kind} role`,
            Tags: iamTags({ mesh, component, name }),
          }),
        ),
      );
      role = out.Role!;
    } catch (err) {
      // A concurrent run made it between GetRole and CreateRole: use that one.
      if (!isAwsError(err, 'EntityAlreadyExistsException', 'EntityAlreadyExists')) throw err;
      role = (await getRole(iam, name))!;
    }
    changed = true;
    await ctx.checkpoint();
  }
  const have = await attachedPolicies(iam, name);
  const toAttach = policies.filter((p) => !have.includes(p));
  for (const arn of toAttach) {
    await aws('iam:AttachRolePolicy', () => iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: arn })));
  }
  changed = changed || toAttach.length > 0;
  const short = policies.map((p) => p.split('/').pop()).join(', ');
  return {
    summary: `IAM ${kind} role ${changed ? 'ready' : 'exists'}: ${role.Arn} (${short})`,
    changed,
    resources: { [`${kind}Role`]: role.Arn! },
  };
}

/** The mesh's roles that carry its tag: never a same-named role meshops did not make. */
export async function findForMesh(deps: Deps): Promise<string[]> {
  const mesh = deps.spec.name;
  const roles = await Promise.all([clusterRoleName(mesh), nodeRoleName(mesh)].map((n) => getRole(deps.aws.iam(), n)));
  return roles.filter((r) => r?.Tags?.some((t) => t.Key === MESH_TAG && t.Value === mesh)).map((r) => r!.RoleName!);
}

/** Detaches and deletes what holds each role (policies, instance profiles), then the role. */
export async function remove(deps: Deps, ctx: StepContext, roles: string[]): Promise<StepOutcome> {
  const iam = deps.aws.iam();
  const deleted: string[] = [];
  for (const RoleName of roles) {
    const attached = await awsOrMissing(
      'iam:ListAttachedRolePolicies',
      () => iam.send(new ListAttachedRolePoliciesCommand({ RoleName })),
      ...NO_SUCH,
    );
    if (!attached) continue;
    for (const p of attached.AttachedPolicies ?? []) {
      const PolicyArn = p.PolicyArn!;
      await awsOrMissing(
        'iam:DetachRolePolicy',
        () => iam.send(new DetachRolePolicyCommand({ RoleName, PolicyArn })),
        ...NO_SUCH,
      );
    }
    const inline = await awsOrMissing(
      'iam:ListRolePolicies',
      () => iam.send(new ListRolePoliciesCommand({ RoleName })),
      ...NO_SUCH,
    );
    for (const PolicyName of inline?.PolicyNames ?? []) {
      await awsOrMissing(
        'iam:DeleteRolePolicy',
        () => iam.send(new DeleteRolePolicyCommand({ RoleName, PolicyName })),
        ...NO_SUCH,
      );
    }
    const profiles = await awsOrMissing(
      'iam:ListInstanceProfilesForRole',
      () => iam.send(new ListInstanceProfilesForRoleCommand({ RoleName })),
      ...NO_SUCH,
    );
    for (const ip of profiles?.InstanceProfiles ?? []) {
      const InstanceProfileName = ip.InstanceProfileName!;
      await awsOrMissing(
        'iam:RemoveRoleFromInstanceProfile',
        () => iam.send(new RemoveRoleFromInstanceProfileCommand({ RoleName, InstanceProfileName })),
        ...NO_SUCH,
      );
    }
    const del = () => aws('iam:DeleteRole', () => iam.send(new DeleteRoleCommand({ RoleName })));
    const ok = await deleteRetrying(deps, ctx, `IAM role ${RoleName}`, del, {
      notFound: NO_SUCH,
      retryOn: ['DeleteConflictException', 'DeleteConflict'],
    });
    if (ok) deleted.push(RoleName);
  }
  return removedOutcome('IAM roles', 'global', deleted, roles);
}

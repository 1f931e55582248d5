// The two IAM roles EKS needs: the cluster role (EKS itself assumes it) and the node role (the nodes' EC2
// instances). Global, one pair per mesh. Trust policies and the managed policies to attach live in infra/iam/.
// No AmazonEKS_CNI_Policy: the VPC CNI is removed in favour of Calico.
import { readFile } from 'node:fs/promises';
import type { IAMClient, Role } from '@aws-sdk/client-iam';
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  GetRoleCommand,
  ListAttachedRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { aws, awsOrMissing } from '../../../src/aws/errors.ts';
import type { Component } from '../../../src/aws/tags.ts';
import { clusterRoleName, iamTags, MESH_TAG, nodeRoleName } from '../../../src/aws/tags.ts';
import type { Deps } from '../../../src/deps.ts';
import { PermanentError } from '../../../src/errors.ts';
import type { Observation, Step, StepContext, StepOutcome } from '../../../src/steps/step.ts';
import { leaf, parallel } from '../../../src/steps/step.ts';

const IAM_DIR = new URL('../../../infra/iam/', import.meta.url);

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
  const out = await awsOrMissing(
    'iam:GetRole',
    () => iam.send(new GetRoleCommand({ RoleName: name })),
    'NoSuchEntityException',
    'NoSuchEntity',
  );
  return out?.Role;
}

/** The ARN of a role the iam step made; a clear error when it is not there yet. */
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

async function observeRole(deps: Deps, kind: RoleKind): Promise<Observation> {
  const iam = deps.aws.iam();
  const name = roleName(deps.spec.name, kind);
  const role = await getRole(iam, name);
  if (!role) return { state: 'missing', detail: name };
  const { policies } = await roleDefinition(kind);
  const have = await attachedPolicies(iam, name);
  const missing = policies.filter((p) => !have.includes(p));
  return {
    state: missing.length ? 'partial' : 'exists',
    detail: `${name}${missing.length ? `, ${missing.length} policies to attach` : ''}`,
  };
}

async function ensureRole(deps: Deps, kind: RoleKind, ctx: StepContext): Promise<StepOutcome> {
  const iam = deps.aws.iam();
  const mesh = deps.spec.name;
  const name = roleName(mesh, kind);
  const { trust, policies } = await roleDefinition(kind);
  let role = await getRole(iam, name);
  let changed = false;
  if (role) {
    const owner = role.Tags?.find((t) => t.Key === MESH_TAG)?.Value;
    if (owner !== mesh) {
      // Never adopt (and later delete) a role someone else made under the same name.
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
      if ((err as { name?: string }).name !== 'EntityAlreadyExistsException') throw err;
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

/** Both roles, side by side. */
export function iamStep(deps: Deps): Step {
  return parallel('iam', 'IAM roles for EKS', [
    leaf(
      'iam/cluster-role',
      `cluster role ${roleName(deps.spec.name, 'cluster')}`,
      (ctx) => ensureRole(deps, 'cluster', ctx),
      () => observeRole(deps, 'cluster'),
    ),
    leaf(
      'iam/node-role',
      `node role ${roleName(deps.spec.name, 'node')}`,
      (ctx) => ensureRole(deps, 'node', ctx),
      () => observeRole(deps, 'node'),
    ),
  ]);
}

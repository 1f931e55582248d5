// The two IAM roles as steps, side by side (src/mesh/aws/iam-roles.ts).
import type { Deps } from '../../../src/deps.ts';
import * as roles from '../../../src/mesh/aws/iam-roles.ts';
import { leaf, parallel, type Step } from '../../../src/steps/step.ts';

export function iamStep(deps: Deps): Step {
  const one = (kind: roles.RoleKind) =>
    leaf(
      `iam/${kind}-role`,
      `${kind} role ${roles.roleName(deps.spec.name, kind)}`,
      (ctx) => roles.ensure(deps, kind, ctx),
      () => roles.observe(deps, kind),
    );
  return parallel('iam', 'IAM roles for EKS', [one('cluster'), one('node')]);
}

// Access reviews: answered from RBAC and never stored (what `kubectl auth can-i` and `auth whoami` ask).
import type { UserInfo } from '../../contracts.ts';
import type { KubeObject } from '../store.ts';
import type { ClusterContext } from './context.ts';
import { authorizeNonResource, isMaster, ruleAllows, rulesFor } from './rbac.ts';
import { DISCOVERY_URLS } from './seed.ts';
import { badRequest } from './status.ts';

type Rec = Record<string, unknown>;

interface ResourceAttributes {
  namespace?: string;
  verb?: string;
  group?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}

function decide(ctx: ClusterContext, user: UserInfo, spec: Rec): { allowed: boolean; reason?: string } {
  const ra = spec['resourceAttributes'] as ResourceAttributes | undefined;
  const nra = spec['nonResourceAttributes'] as { path?: string; verb?: string } | undefined;
  if (ra) {
    const req = {
      verb: ra.verb ?? '',
      group: ra.group ?? '',
      resource: ra.subresource ? `${ra.resource ?? ''}/${ra.subresource}` : (ra.resource ?? ''),
      ...(ra.namespace ? { namespace: ra.namespace } : {}),
      ...(ra.name ? { name: ra.name } : {}),
    };
    if (isMaster(user)) return { allowed: true };
    const allowed = rulesFor(ctx.store, user, req.namespace).some((r) => ruleAllows(r, req));
    return allowed ? { allowed, reason: 'RBAC: allowed by RoleBinding or ClusterRoleBinding' } : { allowed };
  }
  if (nra) return { allowed: authorizeNonResource(ctx.store, user, { verb: nra.verb ?? '', path: nra.path ?? '' }) };
  throw badRequest('spec.resourceAttributes or spec.nonResourceAttributes is required');
}

function rulesReview(ctx: ClusterContext, user: UserInfo, namespace: string | undefined): Rec {
  if (isMaster(user)) {
    return {
      resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
      nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
      incomplete: false,
    };
  }
  const rules = rulesFor(ctx.store, user, namespace);
  return {
    resourceRules: [
      {
        verbs: ['create'],
        apiGroups: ['authorization.k8s.io'],
        resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'],
      },
      { verbs: ['create'], apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'] },
      ...rules
        .filter((r) => r.resources?.length)
        .map((r) => ({
          verbs: r.verbs ?? [],
          apiGroups: r.apiGroups ?? [],
          resources: r.resources ?? [],
          ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}),
        })),
    ],
    nonResourceRules: [
      {
        verbs: ['get'],
        nonResourceURLs: [...DISCOVERY_URLS],
      },
      ...rules
        .filter((r) => r.nonResourceURLs?.length)
        .map((r) => ({ verbs: r.verbs ?? [], nonResourceURLs: r.nonResourceURLs ?? [] })),
    ],
    incomplete: false,
  };
}

/** Answers a create of a review kind: the request object with its status filled in. */
export function answerReview(
  ctx: ClusterContext,
  user: UserInfo,
  body: KubeObject,
  namespace: string | undefined,
): KubeObject {
  const spec = (body['spec'] ?? {}) as Rec;
  const out: KubeObject = {
    ...body,
    metadata: { ...body.metadata, creationTimestamp: undefined as unknown as string },
  };
  switch (body.kind) {
    case 'SelfSubjectAccessReview':
      out['status'] = decide(ctx, user, spec);
      break;
    case 'SelfSubjectRulesReview':
      out['status'] = rulesReview(ctx, user, (spec['namespace'] as string | undefined) || undefined);
      break;
    case 'SubjectAccessReview':
    case 'LocalSubjectAccessReview': {
      const subject: UserInfo = {
        username: String(spec['user'] ?? ''),
        groups: [...((spec['groups'] as string[] | undefined) ?? []), 'system:authenticated'],
      };
      const ra = spec['resourceAttributes'] as Rec | undefined;
      if (body.kind === 'LocalSubjectAccessReview' && ra) ra['namespace'] = namespace;
      out['status'] = decide(ctx, subject, spec);
      break;
    }
    case 'SelfSubjectReview':
      out['status'] = { userInfo: { username: user.username, groups: user.groups } };
      break;
  }
  return out;
}

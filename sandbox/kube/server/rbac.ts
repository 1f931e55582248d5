// The RBAC authorizer: Roles and ClusterRoles bound to users, groups and service accounts, as the API server's
// RBAC plugin evaluates them (allow-only rules, wildcards, subresources, resourceNames, nonResourceURLs).
import type { AccessRequest, UserInfo } from '../../contracts.ts';
import type { KubeObject, ObjectStore } from '../store.ts';

const RBAC = 'rbac.authorization.k8s.io';

export interface PolicyRule {
  verbs?: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

export interface NonResourceRequest {
  verb: string;
  path: string;
}

function subjectMatches(subject: Subject, user: UserInfo, bindingNamespace: string | undefined): boolean {
  switch (subject.kind) {
    case 'User':
      return subject.name === user.username;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount':
      return user.username === `system:serviceaccount:${subject.namespace ?? bindingNamespace ?? ''}:${subject.name}`;
    default:
      return false;
  }
}

function has(list: string[] | undefined, value: string): boolean {
  return !!list && (list.includes('*') || list.includes(value));
}

export function ruleAllows(rule: PolicyRule, req: AccessRequest): boolean {
  if (!has(rule.verbs, req.verb)) return false;
  if (!has(rule.apiGroups, req.group)) return false;
  const resources = rule.resources ?? [];
  const [resource, sub] = req.resource.split('/');
  const resourceOk = resources.some(
    (r) =>
      r === '*' ||
      r === req.resource ||
      (sub !== undefined && r === `${resource}/*`) ||
      (sub !== undefined && r === `*/${sub}`),
  );
  if (!resourceOk) return false;
  if (rule.resourceNames && rule.resourceNames.length > 0)
    return req.name !== undefined && rule.resourceNames.includes(req.name);
  return true;
}

export function ruleAllowsNonResource(rule: PolicyRule, req: NonResourceRequest): boolean {
  if (!has(rule.verbs, req.verb)) return false;
  return (rule.nonResourceURLs ?? []).some(
    (u) => u === '*' || u === req.path || (u.endsWith('*') && req.path.startsWith(u.slice(0, -1))),
  );
}

/** Every rule that applies to a user in a namespace (cluster-wide rules when namespace is undefined). */
export function rulesFor(store: ObjectStore, user: UserInfo, namespace: string | undefined): PolicyRule[] {
  const rules: PolicyRule[] = [];
  const roleRules = (kind: string, name: string, ns: string | undefined): PolicyRule[] => {
    const role = store.get(RBAC, kind, kind === 'Role' ? ns : undefined, name);
    return ((role?.['rules'] as PolicyRule[] | undefined) ?? []).concat(aggregated(store, role));
  };
  const bound = (binding: KubeObject): boolean =>
    ((binding['subjects'] as Subject[] | undefined) ?? []).some((s) =>
      subjectMatches(s, user, binding.metadata.namespace),
    );
  for (const crb of store.list(RBAC, 'ClusterRoleBinding')) {
    const ref = crb['roleRef'] as { kind: string; name: string } | undefined;
    if (ref && bound(crb)) rules.push(...roleRules('ClusterRole', ref.name, undefined));
  }
  if (namespace) {
    for (const rb of store.list(RBAC, 'RoleBinding', namespace)) {
      const ref = rb['roleRef'] as { kind: string; name: string } | undefined;
      if (ref && bound(rb)) rules.push(...roleRules(ref.kind, ref.name, namespace));
    }
  }
  return rules;
}

/** ClusterRoles with an aggregationRule collect the rules of the ClusterRoles their selectors match. */
function aggregated(store: ObjectStore, role: KubeObject | undefined): PolicyRule[] {
  const rule = role?.['aggregationRule'] as
    | { clusterRoleSelectors?: Array<{ matchLabels?: Record<string, string> }> }
    | undefined;
  if (!rule?.clusterRoleSelectors) return [];
  const out: PolicyRule[] = [];
  for (const other of store.list(RBAC, 'ClusterRole')) {
    if (other.metadata.name === role!.metadata.name) continue;
    const labels = other.metadata.labels ?? {};
    if (rule.clusterRoleSelectors.some((s) => Object.entries(s.matchLabels ?? {}).every(([k, v]) => labels[k] === v))) {
      out.push(...((other['rules'] as PolicyRule[] | undefined) ?? []));
    }
  }
  return out;
}

export function isMaster(user: UserInfo): boolean {
  return user.groups.includes('system:masters');
}

/** The `authorize` of a SimClusterHandle. */
export function createAuthorizer(store: ObjectStore): (user: UserInfo, req: AccessRequest) => boolean {
  return (user, req) => isMaster(user) || rulesFor(store, user, req.namespace).some((r) => ruleAllows(r, req));
}

export function authorizeNonResource(store: ObjectStore, user: UserInfo, req: NonResourceRequest): boolean {
  if (isMaster(user)) return true;
  // Discovery, health and version are open to every authenticated user (system:discovery, system:public-info-viewer).
  if (req.verb === 'get' && /^\/(api|apis|version|healthz|livez|readyz|openapi)(\/|$)/.test(req.path)) return true;
  return rulesFor(store, user, undefined).some((r) => ruleAllowsNonResource(r, req));
}

/** "pods is forbidden: User "x" cannot list resource "pods" in API group "" in the namespace "y"". */
export function forbiddenMessage(user: UserInfo, req: AccessRequest): string {
  const [resource, sub] = req.resource.split('/');
  const qualified = req.group ? `${resource}.${req.group}` : resource;
  const named = req.name ? ` "${req.name}"` : '';
  const where = req.namespace ? ` in the namespace "${req.namespace}"` : ' at the cluster scope';
  const subText = sub ? `/${sub}` : '';
  return `${qualified}${named} is forbidden: User "${user.username}" cannot ${req.verb} resource "${resource}${subText}" in API group "${req.group}"${where}`;
}

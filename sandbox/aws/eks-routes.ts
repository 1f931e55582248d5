// EKS is REST-JSON: the operation is the method plus the path template (from the service model, as the
// AWS SDK v3 EKS client sends them). The gateway needs the operation name for call counts, denials and
// for the parts of EKS it simulates itself.
export interface EksRoute {
  operation: string;
  params: Record<string, string>;
}

const ROUTES: Array<[string, string, string]> = [
  ['CreateCluster', 'POST', '/clusters'],
  ['ListClusters', 'GET', '/clusters'],
  ['DescribeCluster', 'GET', '/clusters/{name}'],
  ['DeleteCluster', 'DELETE', '/clusters/{name}'],
  ['UpdateClusterConfig', 'POST', '/clusters/{name}/update-config'],
  ['ListUpdates', 'GET', '/clusters/{name}/updates'],
  ['UpdateClusterVersion', 'POST', '/clusters/{name}/updates'],
  ['DescribeUpdate', 'GET', '/clusters/{name}/updates/{updateId}'],
  ['CreateNodegroup', 'POST', '/clusters/{name}/node-groups'],
  ['ListNodegroups', 'GET', '/clusters/{name}/node-groups'],
  ['DescribeNodegroup', 'GET', '/clusters/{name}/node-groups/{nodegroupName}'],
  ['DeleteNodegroup', 'DELETE', '/clusters/{name}/node-groups/{nodegroupName}'],
  ['UpdateNodegroupConfig', 'POST', '/clusters/{name}/node-groups/{nodegroupName}/update-config'],
  ['UpdateNodegroupVersion', 'POST', '/clusters/{name}/node-groups/{nodegroupName}/update-version'],
  ['CreateAccessEntry', 'POST', '/clusters/{name}/access-entries'],
  ['ListAccessEntries', 'GET', '/clusters/{name}/access-entries'],
  ['DescribeAccessEntry', 'GET', '/clusters/{name}/access-entries/{principalArn}'],
  ['UpdateAccessEntry', 'POST', '/clusters/{name}/access-entries/{principalArn}'],
  ['DeleteAccessEntry', 'DELETE', '/clusters/{name}/access-entries/{principalArn}'],
  ['AssociateAccessPolicy', 'POST', '/clusters/{name}/access-entries/{principalArn}/access-policies'],
  ['ListAssociatedAccessPolicies', 'GET', '/clusters/{name}/access-entries/{principalArn}/access-policies'],
  ['DisassociateAccessPolicy', 'DELETE', '/clusters/{name}/access-entries/{principalArn}/access-policies/{policyArn}'],
  ['CreateAddon', 'POST', '/clusters/{name}/addons'],
  ['ListAddons', 'GET', '/clusters/{name}/addons'],
  ['DescribeAddon', 'GET', '/clusters/{name}/addons/{addonName}'],
  ['DeleteAddon', 'DELETE', '/clusters/{name}/addons/{addonName}'],
  ['CreateFargateProfile', 'POST', '/clusters/{name}/fargate-profiles'],
  ['ListFargateProfiles', 'GET', '/clusters/{name}/fargate-profiles'],
  ['DescribeFargateProfile', 'GET', '/clusters/{name}/fargate-profiles/{fargateProfileName}'],
  ['DeleteFargateProfile', 'DELETE', '/clusters/{name}/fargate-profiles/{fargateProfileName}'],
  ['ListAccessPolicies', 'GET', '/access-policies'],
  ['DescribeAddonVersions', 'GET', '/addons/supported-versions'],
  ['DescribeClusterVersions', 'GET', '/cluster-versions'],
  ['ListTagsForResource', 'GET', '/tags/{resourceArn}'],
  ['TagResource', 'POST', '/tags/{resourceArn}'],
  ['UntagResource', 'DELETE', '/tags/{resourceArn}'],
];

const COMPILED = ROUTES.map(([operation, method, template]) => {
  const names: string[] = [];
  // The ARN of /tags/{resourceArn} is one URL-encoded segment, like every other label.
  const pattern = template.replace(/\{(\w+)\}/g, (_m, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { operation, method, regex: new RegExp(`^${pattern}/?$`), names };
});

export function matchEksRoute(method: string, pathname: string): EksRoute | undefined {
  for (const route of COMPILED) {
    if (route.method !== method) continue;
    const m = route.regex.exec(pathname);
    if (!m) continue;
    const params: Record<string, string> = {};
    route.names.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1])));
    return { operation: route.operation, params };
  }
  return undefined;
}

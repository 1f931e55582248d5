// What IAM authorizes for each AWS call the gateway logged: the action, every resource ARN the request touches,
// and the condition keys it carries (request tags, tags of the resource acted on, ec2:CreateAction,
// iam:PassedToService, iam:PolicyARN). Per action after the Service Authorization Reference ("Actions, resources,
// and condition keys for Amazon EC2 / Amazon EKS / AWS Identity and Access Management"): which resource types an
// action authorizes (CreateSubnet: the new subnet and the VPC; CreateNatGateway: the gateway, its subnet and its
// Elastic IP), that tags given at create time are authorized as ec2:CreateTags with ec2:CreateAction (EC2) or
// iam:TagRole (IAM), and that CreateCluster / CreateNodegroup pass their roles (iam:PassRole) to EKS.
// The iam-simulate library validates every ARN against the resource types its copy of that reference lists.
import type { LoggedCall } from '../../sandbox/aws/call-counter.ts';

export type Context = Record<string, string | string[]>;

export interface Authorization {
  action: string;
  /** '*' for actions without resource-level permissions. */
  resource: string;
  context: Context;
  /** Which logged call this came from, for messages. */
  call: string;
}

/** What the account held at the time of the flow (read from moto after `up`, before `down`). */
export interface World {
  account: string;
  /** `${region}/${id}` -> tags */
  ec2Tags: Map<string, Record<string, string>>;
  /** `${region}/${associationId}` -> route table and subnet */
  associations: Map<string, { routeTableId: string; subnetId?: string }>;
  /** peering ID -> the accepter's VPC */
  peerings: Map<string, { accepterVpcId: string }>;
  /** role name -> ARN (with its path) and tags */
  roles: Map<string, { arn: string; tags: Record<string, string> }>;
  /** `${region}/${vpce id}` -> the endpoint's service name (IAM's ec2:VpceServiceName) */
  endpointServices?: Map<string, string>;
  /** load balancer ARN -> tags (ELBv2 and Classic) */
  loadBalancerTags?: Map<string, Record<string, string>>;
}

const EC2_TYPES: Array<[string, string]> = [
  ['vpc-', 'vpc'],
  ['subnet-', 'subnet'],
  ['igw-', 'internet-gateway'],
  ['eipalloc-', 'elastic-ip'],
  ['nat-', 'natgateway'],
  ['rtb-', 'route-table'],
  ['sg-', 'security-group'],
  ['pcx-', 'vpc-peering-connection'],
  ['vpce-', 'vpc-endpoint'],
];

/** EC2 creates: the resource type of what they make, and the parameters naming the existing resources they use. */
const EC2_CREATES: Record<string, { type: string; uses: string[] }> = {
  CreateVpc: { type: 'vpc', uses: [] },
  CreateSubnet: { type: 'subnet', uses: ['VpcId'] },
  CreateInternetGateway: { type: 'internet-gateway', uses: [] },
  CreateRouteTable: { type: 'route-table', uses: ['VpcId'] },
  AllocateAddress: { type: 'elastic-ip', uses: [] },
  CreateNatGateway: { type: 'natgateway', uses: ['SubnetId', 'AllocationId'] },
  CreateVpcPeeringConnection: { type: 'vpc-peering-connection', uses: ['VpcId'] },
};

/** Existing-resource EC2 actions: the parameters naming the resources they act on. */
const EC2_ACTS_ON: Record<string, string[]> = {
  ModifyVpcAttribute: ['VpcId'],
  DeleteVpc: ['VpcId'],
  DeleteSubnet: ['SubnetId'],
  AttachInternetGateway: ['InternetGatewayId', 'VpcId'],
  DetachInternetGateway: ['InternetGatewayId', 'VpcId'],
  DeleteInternetGateway: ['InternetGatewayId'],
  ReleaseAddress: ['AllocationId'],
  DeleteNatGateway: ['NatGatewayId'],
  DeleteRouteTable: ['RouteTableId'],
  AssociateRouteTable: ['RouteTableId', 'SubnetId'],
  CreateRoute: ['RouteTableId'],
  ReplaceRoute: ['RouteTableId'],
  DeleteRoute: ['RouteTableId'],
  ModifyVpcPeeringConnectionOptions: ['VpcPeeringConnectionId'],
  DeleteVpcPeeringConnection: ['VpcPeeringConnectionId'],
  AuthorizeSecurityGroupIngress: ['GroupId'],
  RevokeSecurityGroupIngress: ['GroupId'],
  DeleteSecurityGroup: ['GroupId'],
};

export function ec2Arn(world: World, region: string, id: string): string {
  const type = EC2_TYPES.find(([prefix]) => id.startsWith(prefix))?.[1];
  if (!type) throw new Error(`no EC2 resource type known for ID ${id}`);
  return `arn:aws:ec2:${region}:${world.account}:${type}/${id}`;
}

function tagContext(prefix: 'aws:RequestTag' | 'aws:ResourceTag', tags: Record<string, string>): Context {
  const out: Context = {};
  for (const [k, v] of Object.entries(tags)) out[`${prefix}/${k}`] = v;
  if (prefix === 'aws:RequestTag' && Object.keys(tags).length) out['aws:TagKeys'] = Object.keys(tags);
  return out;
}

/** EC2 query tags: TagSpecification.N.Tag.M.Key/Value (creates) or Tag.N.Key/Value (CreateTags). */
function ec2RequestTags(params: Record<string, string>): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) {
    const m = /^(TagSpecification\.\d+\.)?Tag\.(\d+)\.Key$/.exec(k);
    if (m) tags[v] = params[k.replace(/Key$/, 'Value')] ?? '';
  }
  return tags;
}

function iamRequestTags(params: Record<string, string>): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) {
    const m = /^Tags\.member\.(\d+)\.Key$/.exec(k);
    if (m) tags[v] = params[`Tags.member.${m[1]}.Value`] ?? '';
  }
  return tags;
}

/** Tags of an EC2 resource as the account held them (moto's view: one set per resource in each Region). */
function ec2ResourceTags(world: World, region: string, id: string): Record<string, string> {
  return world.ec2Tags.get(`${region}/${id}`) ?? {};
}

function roleArn(world: World, name: string): string {
  return world.roles.get(name)?.arn ?? `arn:aws:iam::${world.account}:role/${name}`;
}

/** Every authorization one logged call needs. */
export function authorizationsFor(world: World, log: LoggedCall[], index: number): Authorization[] {
  const c = log[index];
  const call = `${c.service}:${c.action} (${c.region}, call ${index})`;
  const out: Authorization[] = [];
  const add = (action: string, resource: string, context: Context = {}) =>
    out.push({ action, resource, context, call });
  const onExisting = (action: string, id: string) =>
    add(action, ec2Arn(world, c.region, id), tagContext('aws:ResourceTag', ec2ResourceTags(world, c.region, id)));

  if (c.service === 'ec2') {
    const action = `ec2:${c.action}`;
    const create = EC2_CREATES[c.action];
    if (create) {
      const tags = ec2RequestTags(c.params);
      const arn = `arn:aws:ec2:${c.region}:${world.account}:${create.type}/*`;
      add(action, arn, tagContext('aws:RequestTag', tags));
      for (const p of create.uses) if (c.params[p]) onExisting(action, c.params[p]);
      if (Object.keys(tags).length)
        add('ec2:CreateTags', arn, { ...tagContext('aws:RequestTag', tags), 'ec2:CreateAction': c.action });
    } else if (EC2_ACTS_ON[c.action]) {
      for (const p of EC2_ACTS_ON[c.action]) if (c.params[p]) onExisting(action, c.params[p]);
    } else if (c.action === 'DisassociateRouteTable') {
      const assoc = world.associations.get(`${c.region}/${c.params.AssociationId}`);
      if (!assoc) throw new Error(`${call}: association ${c.params.AssociationId} unknown`);
      onExisting(action, assoc.routeTableId);
      if (assoc.subnetId) onExisting(action, assoc.subnetId);
    } else if (c.action === 'AcceptVpcPeeringConnection') {
      // The accepter's side of a cross-Region peering carries no tags until meshops tags it, after accepting
      // (jobs/up/aws/peering.ts); the accepter VPC, which is tagged, is what scopes the call.
      const id = c.params.VpcPeeringConnectionId;
      add(action, ec2Arn(world, c.region, id));
      const p = world.peerings.get(id);
      if (p) onExisting(action, p.accepterVpcId);
    } else if (c.action === 'CreateTags') {
      const tags = ec2RequestTags(c.params);
      for (const [k, id] of Object.entries(c.params)) {
        if (!/^ResourceId\.\d+$/.test(k)) continue;
        const resourceTags = ec2ResourceTags(world, c.region, id);
        add(action, ec2Arn(world, c.region, id), {
          ...tagContext('aws:ResourceTag', resourceTags),
          ...tagContext('aws:RequestTag', tags),
        });
      }
    } else if (c.action === 'DeleteVpcEndpoints') {
      for (const [k, id] of Object.entries(c.params)) {
        if (!/^VpcEndpointId\.\d+$/.test(k)) continue;
        const service = world.endpointServices?.get(`${c.region}/${id}`);
        add(action, ec2Arn(world, c.region, id), {
          ...tagContext('aws:ResourceTag', ec2ResourceTags(world, c.region, id)),
          ...(service ? { 'ec2:VpceServiceName': service } : {}),
        });
      }
    } else if (c.action === 'DescribeVpcAttribute') {
      onExisting(action, c.params.VpcId);
    } else if (c.action.startsWith('Describe')) {
      add(action, '*');
    } else {
      throw new Error(`${call}: no resource mapping for this EC2 action; add it to test/iam/call-authorizations.ts`);
    }
  } else if (c.service === 'eks') {
    eksAuthorizations(world, c, add);
  } else if (c.service === 'iam') {
    const action = `iam:${c.action}`;
    const name = c.params.RoleName;
    if (c.action === 'CreateRole') {
      const tags = iamRequestTags(c.params);
      const arn = `arn:aws:iam::${world.account}:role${c.params.Path ?? '/'}${name}`;
      add(action, arn, tagContext('aws:RequestTag', tags));
      if (Object.keys(tags).length) add('iam:TagRole', arn, tagContext('aws:RequestTag', tags));
    } else if (name) {
      const context: Context = tagContext('aws:ResourceTag', world.roles.get(name)?.tags ?? {});
      if (c.params.PolicyArn) context['iam:PolicyARN'] = c.params.PolicyArn;
      add(action, roleArn(world, name), context);
    } else {
      throw new Error(`${call}: no resource mapping for this IAM action`);
    }
  } else if (c.service === 'elasticloadbalancing') {
    // ELBv2 and Classic ELB (one IAM prefix): the reads have no resource types; a delete acts on the load
    // balancer or target group, scoped by its tags. ELBv2 names it by ARN; Classic by name, its ARN ends in loadbalancer/<name>.
    const action = `elasticloadbalancing:${c.action}`;
    if (c.action.startsWith('Describe')) add(action, '*');
    else if (c.action === 'DeleteLoadBalancer') {
      const arn =
        c.params.LoadBalancerArn ??
        `arn:aws:elasticloadbalancing:${c.region}:${world.account}:loadbalancer/${c.params.LoadBalancerName}`;
      add(action, arn, tagContext('aws:ResourceTag', world.loadBalancerTags?.get(arn) ?? {}));
    } else if (c.action === 'DeleteTargetGroup') {
      const arn = c.params.TargetGroupArn!;
      add(action, arn, tagContext('aws:ResourceTag', world.loadBalancerTags?.get(arn) ?? {}));
    } else throw new Error(`${call}: no resource mapping for this ELB action`);
  } else if (c.service === 'sts' && c.action === 'GetCallerIdentity') {
    add('sts:GetCallerIdentity', '*');
  } else {
    throw new Error(`${call}: no resource mapping for this service`);
  }
  return out;
}

function eksAuthorizations(
  world: World,
  c: LoggedCall,
  add: (action: string, resource: string, context?: Context) => void,
): void {
  const action = `eks:${c.action}`;
  const base = `arn:aws:eks:${c.region}:${world.account}`;
  const parts = c.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const body = (c.body ?? {}) as Record<string, unknown>;
  const cluster = parts[0] === 'clusters' ? parts[1] : undefined;
  const clusterArn = (name: string) => `${base}:cluster/${name}`;
  // The ARN's last part is a UUID EKS assigns; any value stands for it.
  const nodegroupArn = (cl: string, ng: string) => `${base}:nodegroup/${cl}/${ng}/00000000-0000-0000-0000-000000000000`;
  const tags = (body.tags ?? {}) as Record<string, string>;
  switch (c.action) {
    case 'ListClusters':
    case 'DescribeClusterVersions':
    case 'DescribeAddonVersions':
      add(action, '*');
      return;
    case 'CreateCluster': {
      // CreateCluster has no resource type: only its tags (and the role it passes) can scope it.
      add(action, '*', tagContext('aws:RequestTag', tags));
      add('iam:PassRole', String(body.roleArn), { 'iam:PassedToService': 'eks.amazonaws.com' });
      return;
    }
    case 'CreateNodegroup': {
      add(action, clusterArn(cluster!), tagContext('aws:RequestTag', tags));
      add('iam:PassRole', String(body.nodeRole), { 'iam:PassedToService': 'eks.amazonaws.com' });
      return;
    }
    default:
      break;
  }
  if (!cluster) throw new Error(`eks:${c.action}: no cluster in ${c.pathname}`);
  if (parts[2] === 'node-groups' && parts[3]) add(action, nodegroupArn(cluster, parts[3]));
  else if (parts[2] === 'access-entries' && parts[3]) {
    add(
      action,
      `${base}:access-entry/${cluster}/role/${world.account}/${parts[3].split('/').pop()}/00000000-0000-0000-0000-000000000000`,
    );
  } else if (parts[2] === 'addons' && parts[3])
    add(action, `${base}:addon/${cluster}/${parts[3]}/00000000-0000-0000-0000-000000000000`);
  else add(action, clusterArn(cluster));
}

/** The same authorization against another mesh's resource: other cluster and role names, other tag values. */
export function forOtherMesh(a: Authorization, mesh: string, other: string): Authorization {
  const swap = (s: string) =>
    s.replaceAll(`/${mesh}-`, `/${other}-`).replaceAll(`/meshops/${mesh}-`, `/meshops/${other}-`);
  const context: Context = {};
  for (const [key, v] of Object.entries(a.context)) {
    // The in-tree cloud provider puts the cluster into the tag's key: kubernetes.io/cluster/<mesh>-<cluster>.
    const k = key.replace(`/kubernetes.io/cluster/${mesh}-`, `/kubernetes.io/cluster/${other}-`);
    if (typeof v !== 'string') context[k] = v;
    else if (k.endsWith('/meshops:mesh') && v === mesh) context[k] = other;
    else if (k === 'aws:ResourceTag/aws:eks:cluster-name') context[k] = v.replace(`${mesh}-`, `${other}-`);
    else context[k] = k === 'iam:PolicyARN' ? v : swap(v);
  }
  return { ...a, resource: swap(a.resource), context };
}

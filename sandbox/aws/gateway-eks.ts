// Routes EKS operations to the simulation; what it does not simulate goes to moto unchanged.
import type { HttpReply } from './aws-errors.ts';
import {
  associateAccessPolicy,
  createAccessEntry,
  describeAccessEntry,
  listAccessEntries,
  listAssociatedAccessPolicies,
} from './eks-access.ts';
import { createCluster, deleteCluster, describeCluster, listClusters, updateClusterConfig } from './eks-clusters.ts';
import type { EksContext } from './eks-context.ts';
import {
  createNodegroup,
  deleteNodegroup,
  describeNodegroup,
  describeUpdate,
  listNodegroups,
  listUpdates,
  updateNodegroupConfig,
} from './eks-nodegroups.ts';
import { matchEksRoute } from './eks-routes.ts';
import { describeClusterVersions } from './eks-versions.ts';
import type { AwsRequest } from './request-info.ts';

export function handleEks(ctx: EksContext, req: AwsRequest): Promise<HttpReply> {
  const route = matchEksRoute(req.method, req.pathname);
  const p = route?.params ?? {};
  switch (route?.operation) {
    case 'CreateCluster':
      return createCluster(ctx, req);
    case 'DescribeCluster':
      return describeCluster(ctx, req, p.name);
    case 'ListClusters':
      return listClusters(ctx, req);
    case 'DeleteCluster':
      return deleteCluster(ctx, req, p.name);
    case 'CreateNodegroup':
      return createNodegroup(ctx, req, p.name);
    case 'DescribeNodegroup':
      return describeNodegroup(ctx, req, p.name, p.nodegroupName);
    case 'ListNodegroups':
      return listNodegroups(ctx, req, p.name);
    case 'UpdateNodegroupConfig':
      return updateNodegroupConfig(ctx, req, p.name, p.nodegroupName);
    case 'DeleteNodegroup':
      return deleteNodegroup(ctx, req, p.name, p.nodegroupName);
    case 'DescribeUpdate':
      return describeUpdate(ctx, req, p.name, p.updateId);
    case 'ListUpdates':
      return listUpdates(ctx, req, p.name);
    case 'UpdateClusterConfig':
      return updateClusterConfig(ctx, req, p.name);
    case 'CreateAccessEntry':
      return createAccessEntry(ctx, req, p.name);
    case 'DescribeAccessEntry':
      return Promise.resolve(describeAccessEntry(ctx, req, p.name, p.principalArn));
    case 'ListAccessEntries':
      return Promise.resolve(listAccessEntries(ctx, req, p.name));
    case 'AssociateAccessPolicy':
      return Promise.resolve(associateAccessPolicy(ctx, req, p.name, p.principalArn));
    case 'ListAssociatedAccessPolicies':
      return Promise.resolve(listAssociatedAccessPolicies(ctx, req, p.name, p.principalArn));
    case 'DescribeClusterVersions':
      return Promise.resolve(describeClusterVersions(req));
    default:
      return ctx.forward(req);
  }
}

/** The ARN an EKS action acts on, for AccessDenied messages. */
export function eksResourceArn(req: AwsRequest, accountId: string): string | undefined {
  const name = matchEksRoute(req.method, req.pathname)?.params.name;
  return name ? `arn:aws:eks:${req.region}:${accountId}:cluster/${name}` : undefined;
}

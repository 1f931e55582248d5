// The AWS half of `/mesh status`: per cluster, the `health` of each piece (src/mesh/aws/), read side by side.
// Read-only, and it never throws for something missing: that is an 'absent' line. An unreachable API becomes one
// 'failing' line for that cluster.

import { eksClusterName, nodeGroupName } from '../../src/aws/tags.ts';
import type { ClusterSpec } from '../../src/config/spec-types.ts';
import type { Deps } from '../../src/deps.ts';
import { errorMessage } from '../../src/errors.ts';
import { findBilled } from '../../src/mesh/aws/billed.ts';
import { clusterScope, healthLine } from '../../src/mesh/aws/common.ts';
import * as eksCluster from '../../src/mesh/aws/eks-cluster.ts';
import * as igw from '../../src/mesh/aws/internet-gateway.ts';
import * as nat from '../../src/mesh/aws/nat-gateway.ts';
import * as nodeGroup from '../../src/mesh/aws/node-group.ts';
import * as nodeRules from '../../src/mesh/aws/node-rules.ts';
import * as peering from '../../src/mesh/aws/peering.ts';
import { findRouteTables } from '../../src/mesh/aws/route-tables.ts';
import * as subnets from '../../src/mesh/aws/subnets.ts';
import { clusterPrices, listVersions } from '../../src/mesh/aws/versions.ts';
import * as vpc from '../../src/mesh/aws/vpc.ts';
import type { StatusLine } from './types.ts';

/** Everything AWS knows about one cluster, as status lines. */
export async function observeAws(deps: Deps, cluster: ClusterSpec): Promise<StatusLine[]> {
  try {
    return await clusterHealth(deps, cluster);
  } catch (err) {
    return [healthLine('failing', `AWS API (${cluster.region})`, `could not read the state: ${errorMessage(err)}`)];
  }
}

async function clusterHealth(deps: Deps, cluster: ClusterSpec): Promise<StatusLine[]> {
  const s = clusterScope(deps, cluster);
  const { mesh, ec2 } = s;
  const eks = deps.aws.eks(cluster.region);
  const scope = { mesh, cluster: cluster.name };
  const clusterName = eksClusterName(mesh, cluster.name);
  const ngName = nodeGroupName(mesh, cluster.name);
  const others = deps.spec.clusters.filter((c) => c.name !== cluster.name);

  const [vpcs, subnetList, igws, nats, privateTables, eksC, ng, otherVpcs, versions, prices] = await Promise.all([
    vpc.findVpcs(ec2, { ...scope, component: 'vpc' }),
    subnets.findSubnets(ec2, scope),
    igw.findInternetGateways(ec2, { ...scope, component: 'igw' }),
    nat.findNatGateways(ec2, { ...scope, component: 'nat' }, [], ['pending', 'available', 'failed']),
    findRouteTables(ec2, { ...scope, component: 'rtb-private' }),
    eksCluster.describeCluster(eks, clusterName),
    nodeGroup.describeNodegroup(eks, clusterName, ngName),
    Promise.all(
      others.map(async (o) => ({
        name: o.name,
        cidr: o.vpcCidr,
        vpcId: (await vpc.findVpc(deps.aws.ec2(o.region), mesh, o.name))?.VpcId,
      })),
    ),
    listVersions(eks).catch(() => []),
    clusterPrices(cluster.region),
  ]);
  const ownVpc = vpcs[0];
  const lines: StatusLine[] = [
    ...vpc.health(s, vpcs),
    ...subnets.health(subnetList),
    ...igw.health(igws, ownVpc),
    ...nat.health(nats),
  ];
  // One read of this VPC's peerings serves every pair (status stays linear in the number of clusters).
  const ours = ownVpc ? await peering.findPeeringsOf(ec2, ownVpc.VpcId!) : [];
  const pairs = peering.health(cluster.name, ownVpc?.VpcId, ours, otherVpcs);
  lines.push(...pairs.lines);
  if (others.length) lines.push(...peering.routeHealth(privateTables, pairs.peers));
  const info = versions.find((v) => v.version === eksC?.version);
  lines.push(...eksCluster.health(clusterName, eksC, { info, now: deps.clock.now(), prices }));
  if (eksC && others.length) {
    const sgId = eksC.resourcesVpcConfig?.clusterSecurityGroupId;
    const sg = sgId ? await nodeRules.describeSecurityGroup(ec2, sgId) : undefined;
    lines.push(...nodeRules.health(s, sgId, sg));
  }
  lines.push(...nodeGroup.health(cluster, ngName, ng));
  return lines;
}

/** What is running and billed, per region, for costOfObserved. */
export const observeBilled = findBilled;

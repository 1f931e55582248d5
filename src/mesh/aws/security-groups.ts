// Security groups left in the mesh's VPCs: ones tagged with the mesh, the cluster security group EKS made (it
// deletes it with the cluster, but leaves it when something still references it), and any other group in a
// mesh VPC that meshops did not make (GuardDuty's GuardDutyManaged group, a load balancer's k8s-elb-* group):
// each blocks the VPC delete. The default group goes with its VPC.

import type { EC2Client, SecurityGroup, Vpc } from '@aws-sdk/client-ec2';
import { DeleteSecurityGroupCommand, DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { aws } from '../../aws/errors.ts';
import { keepMatching, type Scope } from '../../aws/find.ts';
import { meshFilters, tagValue } from '../../aws/tags.ts';
import type { Deps } from '../../deps.ts';
import type { StepContext, StepOutcome } from '../../steps/step.ts';
import { deleteRetrying, removedOutcome } from './common.ts';
import { remainingInterfaces } from './vpc.ts';

export async function findSecurityGroups(ec2: EC2Client, s: Scope): Promise<SecurityGroup[]> {
  const filters = meshFilters(s.mesh, s);
  const out = await aws('ec2:DescribeSecurityGroups', () =>
    ec2.send(new DescribeSecurityGroupsCommand({ Filters: filters })),
  );
  return keepMatching(out.SecurityGroups ?? [], filters);
}

/** The groups down deletes in a region: the mesh's own and those EKS left for the mesh's clusters. */
export async function findForMesh(
  ec2: EC2Client,
  mesh: string,
  vpcs: Vpc[],
  clusterNames: Set<string>,
): Promise<string[]> {
  const tagged = await findSecurityGroups(ec2, { mesh });
  const vpcIds = vpcs.map((v) => v.VpcId!);
  const inVpcs = vpcIds.length
    ? ((
        await aws('ec2:DescribeSecurityGroups', () =>
          ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: vpcIds }] })),
        )
      ).SecurityGroups ?? [])
    : [];
  // EKS's own group of a cluster that is not the mesh's (in a mesh VPC by mistake) is left alone.
  const left = inVpcs.filter((g) => {
    if (!vpcIds.includes(g.VpcId ?? '')) return false;
    const eks = tagValue(g.Tags, 'aws:eks:cluster-name');
    return eks === undefined || clusterNames.has(eks);
  });
  return [...new Set([...tagged, ...left].filter((g) => g.GroupName !== 'default').map((g) => g.GroupId!))];
}

export async function remove(deps: Deps, ctx: StepContext, region: string, ids: string[]): Promise<StepOutcome> {
  const ec2 = deps.aws.ec2(region);
  const deleted: string[] = [];
  for (const g of ids) {
    const del = () => aws('ec2:DeleteSecurityGroup', () => ec2.send(new DeleteSecurityGroupCommand({ GroupId: g })));
    const ok = await deleteRetrying(deps, ctx, `security group ${g}`, del, {
      notFound: ['InvalidGroup.NotFound'],
      explain: () => remainingInterfaces(ec2, { Name: 'group-id', Values: [g] }),
    });
    if (ok) deleted.push(g);
  }
  return removedOutcome('security groups', region, deleted, ids);
}

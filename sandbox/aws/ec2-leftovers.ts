// What blocks a VPC's teardown on a real account though meshops never made it: GuardDuty's EKS runtime
// monitoring puts a VPC endpoint and a `GuardDutyManaged` security group into every EKS VPC and does not remove
// the endpoint (GuardDuty user guide, runtime monitoring clean-up). EC2 then refuses, as here:
// DeleteSubnet while an endpoint's interface sits in it, DeleteSecurityGroup while an endpoint uses the group,
// DeleteVpc while an endpoint or a non-default group is left (moto lets all three go). The same for the load
// balancers LoadBalancer Services leave (sandbox/kube/controllers/load-balancers.ts), ELBv2 and Classic alike:
// their interfaces sit in the subnets and use their security groups.
import {
  CreateSecurityGroupCommand,
  CreateVpcEndpointCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcEndpointsCommand,
} from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand as DescribeClassicCommand } from '@aws-sdk/client-elastic-load-balancing';
import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { HttpReply } from './aws-errors.ts';
import { ec2Error } from './aws-errors.ts';
import type { MotoClients } from './moto-clients.ts';
import type { AwsRequest } from './request-info.ts';

const LIVE = ['pendingAcceptance', 'pending', 'available', 'deleting', 'rejected', 'failed'];

interface HoldingLoadBalancer {
  vpcId?: string;
  groups: string[];
  subnets: string[];
}

export interface Leftovers {
  /** The DependencyViolation EC2 would answer, or undefined to let the call through. */
  refuse(req: AwsRequest): Promise<HttpReply | undefined>;
  /** What GuardDuty does to an EKS VPC once the cluster is ACTIVE: an endpoint and its group. */
  addGuardDuty(region: string, vpcId: string, subnetIds: string[]): Promise<void>;
}

export function createLeftovers(moto: MotoClients): Leftovers {
  const endpoints = async (region: string, filter: { Name: string; Values: string[] }) => {
    const out = await moto.ec2(region).send(new DescribeVpcEndpointsCommand({ Filters: [filter] }));
    return (out.VpcEndpoints ?? []).filter(
      (e) => LIVE.includes(String(e.State).toLowerCase()) || LIVE.includes(String(e.State)),
    );
  };
  /** Every load balancer of the region, ELBv2 and Classic: its VPC, subnets and groups. */
  const loadBalancers = async (region: string): Promise<HoldingLoadBalancer[]> => {
    const [v2, classic] = await Promise.all([
      moto.elbv2(region).send(new DescribeLoadBalancersCommand({})),
      moto.elb(region).send(new DescribeClassicCommand({})),
    ]);
    return [
      ...(v2.LoadBalancers ?? []).map((lb) => ({
        vpcId: lb.VpcId,
        groups: lb.SecurityGroups ?? [],
        subnets: (lb.AvailabilityZones ?? []).map((z) => z.SubnetId ?? ''),
      })),
      ...(classic.LoadBalancerDescriptions ?? []).map((lb) => ({
        vpcId: lb.VPCId,
        groups: lb.SecurityGroups ?? [],
        subnets: lb.Subnets ?? [],
      })),
    ];
  };
  return {
    async refuse(req) {
      const form = req.form;
      if (!form) return undefined;
      if (req.action === 'DeleteSubnet' || req.action === 'DeleteSecurityGroup' || req.action === 'DeleteVpc') {
        const id = form.get('SubnetId') ?? form.get('GroupId') ?? form.get('VpcId') ?? '';
        const holding = (await loadBalancers(req.region)).find(
          (lb) => lb.vpcId === id || lb.groups.includes(id) || lb.subnets.includes(id),
        );
        if (holding) {
          const what = req.action === 'DeleteSecurityGroup' ? `resource ${id} has a dependent object` : '';
          const vpcOrSubnet = req.action === 'DeleteVpc' ? 'vpc' : 'subnet';
          return ec2Error(
            400,
            'DependencyViolation',
            what || `The ${vpcOrSubnet} '${id}' has dependencies and cannot be deleted.`,
          );
        }
      }
      if (req.action === 'DeleteSubnet') {
        const id = form.get('SubnetId') ?? '';
        const inUse = (await endpoints(req.region, { Name: 'vpc-endpoint-type', Values: ['Interface'] })).filter((e) =>
          (e.SubnetIds ?? []).includes(id),
        );
        if (inUse.length)
          return ec2Error(400, 'DependencyViolation', `The subnet '${id}' has dependencies and cannot be deleted.`);
      }
      if (req.action === 'DeleteSecurityGroup') {
        const id = form.get('GroupId') ?? '';
        const all = await endpoints(req.region, { Name: 'vpc-endpoint-type', Values: ['Interface'] });
        if (all.some((e) => (e.Groups ?? []).some((g) => g.GroupId === id))) {
          return ec2Error(400, 'DependencyViolation', `resource ${id} has a dependent object`);
        }
      }
      if (req.action === 'DeleteVpc') {
        const id = form.get('VpcId') ?? '';
        const eps = await endpoints(req.region, { Name: 'vpc-id', Values: [id] });
        const groups = await moto
          .ec2(req.region)
          .send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [id] }] }));
        const extra = (groups.SecurityGroups ?? []).filter((g) => g.GroupName !== 'default');
        if (eps.length || extra.length) {
          return ec2Error(400, 'DependencyViolation', `The vpc '${id}' has dependencies and cannot be deleted.`);
        }
      }
      return undefined;
    },
    async addGuardDuty(region, vpcId, subnetIds) {
      const ec2 = moto.ec2(region);
      const tags = [{ Key: 'GuardDutyManaged', Value: 'true' }];
      const sg = await ec2.send(
        new CreateSecurityGroupCommand({
          GroupName: `GuardDutyManagedSecurityGroup-${vpcId}`,
          Description: 'Associated with VPC-vpcId and tagged as GuardDutyManaged',
          VpcId: vpcId,
          TagSpecifications: [{ ResourceType: 'security-group', Tags: tags }],
        }),
      );
      await ec2.send(
        new CreateVpcEndpointCommand({
          VpcId: vpcId,
          ServiceName: `com.amazonaws.${region}.guardduty-data`,
          VpcEndpointType: 'Interface',
          SubnetIds: subnetIds,
          SecurityGroupIds: [sg.GroupId!],
          TagSpecifications: [{ ResourceType: 'vpc-endpoint', Tags: tags }],
        }),
      );
    },
  };
}

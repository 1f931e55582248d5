// What blocks a VPC's teardown on a real account though meshops never made it: GuardDuty's EKS runtime
// monitoring puts a VPC endpoint and a `GuardDutyManaged` security group into every EKS VPC and does not remove
// the endpoint (GuardDuty user guide, runtime monitoring clean-up). EC2 then refuses, as here:
// DeleteSubnet while an endpoint's interface sits in it, DeleteSecurityGroup while an endpoint uses the group,
// DeleteVpc while an endpoint or a non-default group is left (moto lets all three go). The same for the load
// balancers LoadBalancer Services leave (sandbox/kube/controllers/load-balancers.ts), ELBv2 and Classic alike:
// their interfaces sit in the subnets and use their security groups, and they stay a while after the load
// balancer is deleted (lingerMs): the in-tree cloud provider retries its group's delete on DependencyViolation
// "because LB is in process of deleting" (cloud-provider-aws aws.go, deleteSecurityGroupsWithBackoff).
import {
  CreateSecurityGroupCommand,
  CreateVpcEndpointCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcEndpointsCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeLoadBalancersCommand as DescribeClassicCommand,
  type LoadBalancerDescription,
} from '@aws-sdk/client-elastic-load-balancing';
import { DescribeLoadBalancersCommand, type LoadBalancer } from '@aws-sdk/client-elastic-load-balancing-v2';
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

const holdingV2 = (lb: LoadBalancer): HoldingLoadBalancer => ({
  vpcId: lb.VpcId,
  groups: lb.SecurityGroups ?? [],
  subnets: (lb.AvailabilityZones ?? []).map((z) => z.SubnetId ?? ''),
});
const holdingClassic = (lb: LoadBalancerDescription): HoldingLoadBalancer => ({
  vpcId: lb.VPCId,
  groups: lb.SecurityGroups ?? [],
  subnets: lb.Subnets ?? [],
});

export interface LeftoverOptions {
  /** The gateway's timeline. */
  now(): number;
  /** How long a deleted load balancer's interfaces still hold its subnets and groups. */
  lingerMs: number;
}

export interface Leftovers {
  /** The DependencyViolation EC2 would answer, or undefined to let the call through. */
  refuse(req: AwsRequest): Promise<HttpReply | undefined>;
  /** What GuardDuty does to an EKS VPC once the cluster is ACTIVE: an endpoint and its group. */
  addGuardDuty(region: string, vpcId: string, subnetIds: string[]): Promise<void>;
  /** An ELB or ELBv2 call: a deleted load balancer's interfaces linger (lingerMs) before they let go. */
  loadBalancing(req: AwsRequest, forward: (req: AwsRequest) => Promise<HttpReply>): Promise<HttpReply>;
}

export function createLeftovers(moto: MotoClients, opts: LeftoverOptions): Leftovers {
  const releasing: Array<HoldingLoadBalancer & { region: string; until: number }> = [];
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
    const lingering = releasing.filter((r) => r.region === region && r.until > opts.now());
    return [
      ...(v2.LoadBalancers ?? []).map(holdingV2),
      ...(classic.LoadBalancerDescriptions ?? []).map(holdingClassic),
      ...lingering,
    ];
  };
  /** The load balancer a DeleteLoadBalancer names, ELBv2 by ARN or Classic by name, if moto has it. */
  const named = async (req: AwsRequest): Promise<HoldingLoadBalancer | undefined> => {
    const arn = req.form?.get('LoadBalancerArn');
    const name = req.form?.get('LoadBalancerName');
    try {
      if (arn) {
        const out = await moto.elbv2(req.region).send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arn] }));
        return out.LoadBalancers?.[0] && holdingV2(out.LoadBalancers[0]);
      }
      if (name) {
        const out = await moto.elb(req.region).send(new DescribeClassicCommand({ LoadBalancerNames: [name] }));
        return out.LoadBalancerDescriptions?.[0] && holdingClassic(out.LoadBalancerDescriptions[0]);
      }
    } catch {
      // Not there (already deleted): nothing lingers.
    }
    return undefined;
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
    async loadBalancing(req, forward) {
      if (req.action !== 'DeleteLoadBalancer') return forward(req);
      const before = await named(req);
      const reply = await forward(req);
      if (before && reply.status === 200)
        releasing.push({ ...before, region: req.region, until: opts.now() + opts.lingerMs });
      return reply;
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

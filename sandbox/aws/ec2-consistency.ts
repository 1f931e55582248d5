// EC2's eventual consistency (EC2 developer guide, "Eventual consistency"): for a while after a create, a call
// that names the new resource by its ID can answer <Kind>.NotFound. The gateway remembers the IDs its creates
// returned and refuses, for `lagMs`, any later call whose parameters name one of them.
import type { HttpReply } from './aws-errors.ts';
import { ec2Error } from './aws-errors.ts';
import type { AwsRequest } from './request-info.ts';

/** ID prefix -> (the element of the create's answer that holds it, the NotFound code AWS gives). */
const KINDS: Array<{ prefix: string; element: string; notFound: string; what: string }> = [
  { prefix: 'vpc-', element: 'vpcId', notFound: 'InvalidVpcID.NotFound', what: 'vpc ID' },
  { prefix: 'subnet-', element: 'subnetId', notFound: 'InvalidSubnetID.NotFound', what: 'subnet ID' },
  {
    prefix: 'igw-',
    element: 'internetGatewayId',
    notFound: 'InvalidInternetGatewayID.NotFound',
    what: 'internet gateway ID',
  },
  { prefix: 'rtb-', element: 'routeTableId', notFound: 'InvalidRouteTableID.NotFound', what: 'route table ID' },
  { prefix: 'nat-', element: 'natGatewayId', notFound: 'NatGatewayNotFound', what: 'NAT gateway' },
  { prefix: 'eipalloc-', element: 'allocationId', notFound: 'InvalidAllocationID.NotFound', what: 'allocation ID' },
  {
    prefix: 'pcx-',
    element: 'vpcPeeringConnectionId',
    notFound: 'InvalidVpcPeeringConnectionID.NotFound',
    what: 'vpc peering connection ID',
  },
];

const CREATES: Record<string, string> = {
  CreateVpc: 'vpc-',
  CreateSubnet: 'subnet-',
  CreateInternetGateway: 'igw-',
  CreateRouteTable: 'rtb-',
  CreateNatGateway: 'nat-',
  AllocateAddress: 'eipalloc-',
  CreateVpcPeeringConnection: 'pcx-',
};

export interface Consistency {
  /** The NotFound answer for a call naming a resource still settling, or undefined. */
  check(req: AwsRequest): HttpReply | undefined;
  /** Notes the ID a successful create returned. */
  created(req: AwsRequest, reply: HttpReply): void;
}

export function createConsistency(lagMs: number, now: () => number = Date.now): Consistency {
  const born = new Map<string, number>();
  return {
    check(req) {
      if (lagMs <= 0 || req.service !== 'ec2' || !req.form) return undefined;
      // A create that names its own new resource cannot exist; Describe* by filter lists what is visible.
      for (const [key, value] of req.form) {
        if (key === 'Action' || key === 'Version' || key.startsWith('Filter.') || key.startsWith('TagSpecification'))
          continue;
        const t = born.get(value);
        if (t === undefined) continue;
        if (now() - t >= lagMs) {
          born.delete(value);
          continue;
        }
        const kind = KINDS.find((k) => value.startsWith(k.prefix))!;
        return ec2Error(400, kind.notFound, `The ${kind.what} '${value}' does not exist`);
      }
      return undefined;
    },
    created(req, reply) {
      const prefix = CREATES[req.action];
      if (lagMs <= 0 || !prefix || reply.status !== 200) return;
      const kind = KINDS.find((k) => k.prefix === prefix)!;
      const m = new RegExp(`<${kind.element}>(${prefix}[^<]+)</${kind.element}>`).exec(reply.body.toString());
      if (m) born.set(m[1]!, now());
    },
  };
}

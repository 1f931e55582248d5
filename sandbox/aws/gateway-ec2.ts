// Routes EC2 actions: NAT gateway timelines and what depends on them, the account's zone mapping, peering
// filters, the checks moto lacks (one VPC attribute per call); the rest to moto.
import type { HttpReply } from './aws-errors.ts';
import type { Leftovers } from './ec2-leftovers.ts';
import type { NatSimulation } from './ec2-nat.ts';
import type { PeeringSimulation } from './ec2-peering.ts';
import { refuseVpcAttributes } from './ec2-vpc-attributes.ts';
import type { ZoneSimulation } from './ec2-zones.ts';
import type { AwsRequest } from './request-info.ts';

export async function handleEc2(
  nat: NatSimulation,
  peerings: PeeringSimulation,
  zones: ZoneSimulation,
  leftovers: Leftovers,
  req: AwsRequest,
  forward: (req: AwsRequest) => Promise<HttpReply>,
): Promise<HttpReply> {
  const refused = (await leftovers.refuse(req)) ?? refuseVpcAttributes(req);
  if (refused) return refused;
  if (nat.handles(req.action)) return nat.handle(req);
  if (zones.handles(req.action)) return zones.handle(req);
  if (peerings.handles(req.action)) return peerings.handle(req);
  return forward(req);
}

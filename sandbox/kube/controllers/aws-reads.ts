// What the controllers read from moto once and keep: subnets (CIDR, AZ) and VPC CIDRs do not change.
import { DescribeSubnetsCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { ec2For } from '../network/moto.ts';

export interface SubnetInfo {
  subnetId: string;
  cidr: string;
  az: string;
  azId: string;
}

export class AwsReads {
  private readonly subnets = new Map<string, SubnetInfo>();
  private readonly vpcCidrs = new Map<string, string>();
  private readonly motoEndpoint: string;
  private readonly region: string;

  constructor(motoEndpoint: string, region: string) {
    this.motoEndpoint = motoEndpoint;
    this.region = region;
  }

  async subnetInfo(ids: string[]): Promise<SubnetInfo[]> {
    const missing = ids.filter((id) => !this.subnets.has(id));
    if (missing.length) {
      const out = await ec2For(this.motoEndpoint, this.region).send(new DescribeSubnetsCommand({ SubnetIds: missing }));
      for (const s of out.Subnets ?? []) {
        this.subnets.set(s.SubnetId!, {
          subnetId: s.SubnetId!,
          cidr: s.CidrBlock!,
          az: s.AvailabilityZone!,
          azId: s.AvailabilityZoneId ?? s.AvailabilityZone!,
        });
      }
    }
    return ids.map((id) => this.subnets.get(id)).filter((s): s is SubnetInfo => !!s);
  }

  cachedVpcCidr(vpcId: string): string | undefined {
    return this.vpcCidrs.get(vpcId);
  }

  async vpcCidr(vpcId: string): Promise<string> {
    const cached = this.vpcCidrs.get(vpcId);
    if (cached) return cached;
    const out = await ec2For(this.motoEndpoint, this.region).send(new DescribeVpcsCommand({ VpcIds: [vpcId] }));
    const cidr = out.Vpcs?.[0]?.CidrBlock;
    if (!cidr) throw new Error(`VPC ${vpcId} not found in ${this.region}`);
    this.vpcCidrs.set(vpcId, cidr);
    return cidr;
  }
}

// AWS SDK clients aimed straight at moto (no gateway, no faults), for what the gateway does on AWS's behalf:
// the EKS cluster security group, subnet look-ups, the EIP a deleted NAT gateway lets go of, the load balancers
// that hold a VPC.
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import { SANDBOX_CREDENTIALS } from './identity.ts';

export interface MotoClients {
  ec2(region: string): EC2Client;
  iam(): IAMClient;
  elbv2(region: string): ElasticLoadBalancingV2Client;
  /** Classic load balancers (the ELB API), as the in-tree cloud provider makes them. */
  elb(region: string): ElasticLoadBalancingClient;
  destroy(): void;
}

export function createMotoClients(motoEndpoint: string): MotoClients {
  const ec2 = new Map<string, EC2Client>();
  const elbv2 = new Map<string, ElasticLoadBalancingV2Client>();
  const elb = new Map<string, ElasticLoadBalancingClient>();
  let iam: IAMClient | undefined;
  const base = { endpoint: motoEndpoint, credentials: SANDBOX_CREDENTIALS, maxAttempts: 2 };
  return {
    ec2(region) {
      let c = ec2.get(region);
      if (!c) ec2.set(region, (c = new EC2Client({ ...base, region })));
      return c;
    },
    iam() {
      return (iam ??= new IAMClient({ ...base, region: 'us-east-1' }));
    },
    elbv2(region) {
      let c = elbv2.get(region);
      if (!c) elbv2.set(region, (c = new ElasticLoadBalancingV2Client({ ...base, region })));
      return c;
    },
    elb(region) {
      let c = elb.get(region);
      if (!c) elb.set(region, (c = new ElasticLoadBalancingClient({ ...base, region })));
      return c;
    },
    destroy() {
      for (const c of ec2.values()) c.destroy();
      for (const c of elbv2.values()) c.destroy();
      for (const c of elb.values()) c.destroy();
      iam?.destroy();
    },
  };
}

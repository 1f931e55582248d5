// Real AWS SDK v3 clients aimed at the gateway, as the product builds them, plus the network and IAM
// groundwork a cluster needs.
import { CreateSubnetCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import { EKSClient } from '@aws-sdk/client-eks';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';

const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

export function clients(endpoint: string, region = 'us-east-1', maxAttempts = 1) {
  return {
    ec2: new EC2Client({ region, endpoint, credentials, maxAttempts }),
    eks: new EKSClient({ region, endpoint, credentials, maxAttempts }),
    iam: new IAMClient({ region, endpoint, credentials, maxAttempts }),
  };
}

let seq = 0;
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${seq++}`;
}

/** A VPC with two subnets in two AZs and a cluster role: what CreateCluster needs. */
export async function clusterGroundwork(c: ReturnType<typeof clients>, region = 'us-east-1') {
  const vpc = await c.ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const vpcId = vpc.Vpc!.VpcId!;
  const a = await c.ec2.send(
    new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.0.0/20', AvailabilityZone: `${region}a` }),
  );
  const b = await c.ec2.send(
    new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.16.0/20', AvailabilityZone: `${region}b` }),
  );
  const role = await c.iam.send(
    new CreateRoleCommand({
      RoleName: uniqueName('eks-role'),
      AssumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[]}',
    }),
  );
  return { vpcId, subnetIds: [a.Subnet!.SubnetId!, b.Subnet!.SubnetId!], roleArn: role.Role!.Arn! };
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

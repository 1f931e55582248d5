// Availability zones as one account sees them: names map to zone IDs by the account's mapping, EKS refuses
// cluster subnets in the zone IDs it does not support, and instance type offerings answer per zone ID.
import {
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeAvailabilityZonesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeSubnetsCommand,
} from '@aws-sdk/client-ec2';
import { CreateClusterCommand } from '@aws-sdk/client-eks';
import { CreateRoleCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseZoneMapping } from '../../sandbox/aws/ec2-zones.ts';
import { clients, uniqueName } from './helpers/aws.ts';
import { type Fixture, startFixture } from './helpers/sandbox-fixture.ts';

const MAPPING = 'us-east-1=use1-az3,use1-az1,use1-az2,use1-az4,use1-az6,use1-az5';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture(undefined, { zones: parseZoneMapping([MAPPING]) });
});
afterAll(async () => {
  await fx?.stop();
});

describe('an account whose us-east-1a is use1-az3', () => {
  it('lists its zones with its own zone IDs, and makes subnets by name or by zone ID', async () => {
    const { ec2 } = clients(fx.gateway.url);
    const zones = (await ec2.send(new DescribeAvailabilityZonesCommand({}))).AvailabilityZones!;
    expect(zones.map((z) => `${z.ZoneName}=${z.ZoneId}`)).toEqual([
      'us-east-1a=use1-az3',
      'us-east-1b=use1-az1',
      'us-east-1c=use1-az2',
      'us-east-1d=use1-az4',
      'us-east-1e=use1-az6',
      'us-east-1f=use1-az5',
    ]);
    const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;
    const byName = await ec2.send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.0.0/20', AvailabilityZone: 'us-east-1a' }),
    );
    expect(byName.Subnet).toMatchObject({ AvailabilityZone: 'us-east-1a', AvailabilityZoneId: 'use1-az3' });
    const byId = await ec2.send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.0.16.0/20', AvailabilityZoneId: 'use1-az6' }),
    );
    expect(byId.Subnet).toMatchObject({ AvailabilityZone: 'us-east-1e', AvailabilityZoneId: 'use1-az6' });
    const listed = (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [byName.Subnet!.SubnetId!] }))).Subnets!;
    expect(listed[0]!.AvailabilityZoneId).toBe('use1-az3');
  });

  it('refuses a cluster with a subnet in use1-az3 as EKS does, naming the zones it would take', async () => {
    const c = clients(fx.gateway.url);
    const vpcId = (await c.ec2.send(new CreateVpcCommand({ CidrBlock: '10.2.0.0/16' }))).Vpc!.VpcId!;
    const a = await c.ec2.send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.2.0.0/20', AvailabilityZone: 'us-east-1a' }),
    );
    const b = await c.ec2.send(
      new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.2.16.0/20', AvailabilityZone: 'us-east-1b' }),
    );
    const role = await c.iam.send(
      new CreateRoleCommand({ RoleName: uniqueName('eks'), AssumeRolePolicyDocument: '{}' }),
    );
    const err = await c.eks
      .send(
        new CreateClusterCommand({
          name: 'az3',
          roleArn: role.Role!.Arn!,
          resourcesVpcConfig: { subnetIds: [a.Subnet!.SubnetId!, b.Subnet!.SubnetId!] },
        }),
      )
      .catch((e: Error) => e);
    expect(err).toMatchObject({
      name: 'UnsupportedAvailabilityZoneException',
      message: expect.stringContaining(
        "Cannot create cluster 'az3' because us-east-1a, the targeted availability zone",
      ),
      validZones: ['us-east-1b', 'us-east-1c', 'us-east-1d', 'us-east-1e', 'us-east-1f'],
    });
  });

  it('answers instance type offerings per zone ID: m5.xlarge is not offered in use1-az3', async () => {
    const { ec2 } = clients(fx.gateway.url);
    const out = await ec2.send(
      new DescribeInstanceTypeOfferingsCommand({
        LocationType: 'availability-zone-id',
        Filters: [{ Name: 'instance-type', Values: ['m5.xlarge'] }],
      }),
    );
    const ids = (out.InstanceTypeOfferings ?? []).map((o) => o.Location).sort();
    expect(ids).toEqual(['use1-az1', 'use1-az2', 'use1-az4', 'use1-az5', 'use1-az6']);
  });

  it('rejects a malformed --zones value with what is expected', () => {
    expect(() => parseZoneMapping(['us-east-1:use1-az1'])).toThrow(/--zones takes region=zoneId,zoneId,\.\.\./);
  });
});

// What real EC2 does that a lenient stand-in hides: a new resource is not yet found by its ID for a moment, and
// an answer lost after the work was done makes the SDK's retry do it twice.
import { CreateVpcCommand, DescribeVpcsCommand, ModifyVpcAttributeCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, waitFor } from './helpers/aws.ts';
import { type Fixture, startFixture } from './helpers/sandbox-fixture.ts';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture(undefined, { consistencyLagMs: 400 });
});
afterAll(async () => {
  await fx?.stop();
});

describe('eventual consistency', () => {
  it('answers InvalidVpcID.NotFound for a VPC named by ID right after its create, then finds it', async () => {
    const { ec2 } = clients(fx.gateway.url);
    const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).Vpc!.VpcId!;
    const early = await ec2
      .send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }))
      .catch((e: Error) => e);
    expect(early).toMatchObject({ name: 'InvalidVpcID.NotFound', message: `The vpc ID '${vpcId}' does not exist` });
    await waitFor('the VPC to be found', async () =>
      ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } })).then(
        () => true,
        () => undefined,
      ),
    );
  });
});

describe('a lost answer', () => {
  it('is lost after moto did the work: the SDK retries CreateVpc and two VPCs exist', async () => {
    const { ec2 } = clients(fx.gateway.url, 'us-east-1', 3);
    fx.gateway.faults.add({ service: 'ec2', rate: 1, kind: 'lost', actions: ['CreateVpc'], times: 1 });
    try {
      const tag = { Key: 'lost-test', Value: 'x' };
      await ec2.send(
        new CreateVpcCommand({ CidrBlock: '10.9.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: [tag] }] }),
      );
      const found = await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:lost-test', Values: ['x'] }] }));
      expect(found.Vpcs).toHaveLength(2);
    } finally {
      fx.gateway.faults.clear();
    }
  });
});

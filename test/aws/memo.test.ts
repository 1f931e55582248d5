// Identical AWS reads within one status pass share one request, "not found" included; writes are never shared.
import { CreateTagsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cloud, startCloud } from '../../sandbox/cloud.ts';
import { memoizeReads } from '../../src/aws/memo.ts';
import type { AwsClients } from '../../src/deps.ts';
import { NO_KUBERNETES } from './harness.ts';

let cloud: Cloud;
let aws: AwsClients;

beforeAll(async () => {
  cloud = await startCloud({
    profile: 'fast',
    clusterHost: NO_KUBERNETES,
  });
  const client = new EC2Client({
    region: 'us-east-1',
    endpoint: cloud.awsEndpoint,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 1,
  });
  aws = {
    ec2: () => client,
    eks: () => {
      throw new Error('unused');
    },
    iam: () => {
      throw new Error('unused');
    },
  } as unknown as AwsClients;
}, 120_000);

afterAll(async () => {
  await cloud?.stop();
});

const calls = (action: string) => cloud.calls.counts()[`ec2:${action}`] ?? 0;

describe('memoized reads', () => {
  it('sends one DescribeVpcs for identical questions asked side by side, and a new pass asks again', async () => {
    const before = calls('DescribeVpcs');
    const pass = memoizeReads(aws);
    const answers = await Promise.all([1, 2, 3].map(() => pass.ec2('us-east-1').send(new DescribeVpcsCommand({}))));
    expect(answers[0]).toBe(answers[2]);
    expect(calls('DescribeVpcs') - before).toBe(1);
    await memoizeReads(aws).ec2('us-east-1').send(new DescribeVpcsCommand({}));
    expect(calls('DescribeVpcs') - before).toBe(2);
  });

  it('remembers "not found" for the pass: asked again, one call', async () => {
    const before = calls('DescribeVpcs');
    const pass = memoizeReads(aws);
    const ask = () =>
      pass
        .ec2('us-east-1')
        .send(new DescribeVpcsCommand({ VpcIds: ['vpc-0123456789abcdef0'] }))
        .catch((e: Error) => e.name);
    expect(await ask()).toBe('InvalidVpcID.NotFound');
    expect(await ask()).toBe('InvalidVpcID.NotFound');
    expect(calls('DescribeVpcs') - before).toBe(1);
  });

  it('never shares writes', async () => {
    const before = calls('CreateTags');
    const pass = memoizeReads(aws);
    const vpcs = await pass.ec2('us-east-1').send(new DescribeVpcsCommand({}));
    // moto's default VPC is always there.
    const id = vpcs.Vpcs![0]!.VpcId!;
    for (let i = 0; i < 2; i++)
      await pass.ec2('us-east-1').send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: 'k', Value: 'v' }] }));
    expect(calls('CreateTags') - before).toBe(2);
  });
});

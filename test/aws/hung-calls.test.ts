// An AWS call that is taken and never answered (a stalled connection) is given up and retried, not waited on for
// ever: a hung DescribeVpcs would otherwise hold a change job, and with it the mesh's lock, until a restart.
import { DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cloud, startCloud } from '../../sandbox/cloud.ts';
import { makeAwsClients } from '../../src/aws/clients.ts';
import { NO_KUBERNETES, TEST_CREDENTIALS } from './harness.ts';

let cloud: Cloud;

beforeAll(async () => {
  cloud = await startCloud({
    profile: 'fast',
    clusterHost: NO_KUBERNETES,
  });
});
afterAll(async () => {
  await cloud?.stop();
});

describe('a call AWS never answers', () => {
  it('is given up after the call timeout and tried again, and the retry gets the answer', async () => {
    const aws = makeAwsClients({ endpoint: cloud.awsEndpoint, credentials: TEST_CREDENTIALS, callTimeoutMs: 500 });
    cloud.calls.reset();
    cloud.faults.add({ service: 'ec2', rate: 1, kind: 'hang', actions: ['DescribeVpcs'], times: 1 });
    try {
      const out = await aws.ec2('us-east-1').send(new DescribeVpcsCommand({}));
      expect(out.Vpcs?.length).toBeGreaterThan(0);
      expect(cloud.calls.counts()['ec2:DescribeVpcs']).toBe(2);
    } finally {
      cloud.faults.clear();
    }
  });

  it('fails with a timeout, not a hang, when every attempt stalls', async () => {
    const aws = makeAwsClients({
      endpoint: cloud.awsEndpoint,
      credentials: TEST_CREDENTIALS,
      callTimeoutMs: 300,
      maxAttempts: 2,
    });
    cloud.faults.add({ service: 'ec2', rate: 1, kind: 'hang', actions: ['DescribeVpcs'] });
    try {
      await expect(aws.ec2('us-west-2').send(new DescribeVpcsCommand({}))).rejects.toMatchObject({
        name: 'TimeoutError',
      });
    } finally {
      cloud.faults.clear();
    }
  });
});

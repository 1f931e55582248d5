// classifyAwsError on errors the SDK itself builds from AWS's wire format, served by a tiny local endpoint.

import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { CreateNatGatewayCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aws, classifyAwsError } from '../../../src/aws/errors.ts';
import { PermanentError } from '../../../src/errors.ts';
import { TEST_CREDENTIALS } from '../../aws/harness.ts';

/** What the endpoint answers next: status, content type and body. */
let reply: { status: number; type: string; body: string; headers?: Record<string, string> };
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(reply.status, { 'content-type': reply.type, ...reply.headers });
      res.end(reply.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});

function ec2Error(status: number, code: string, message: string) {
  reply = {
    status,
    type: 'text/xml',
    body: `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>r-1</RequestID></Response>`,
  };
}

function eksError(status: number, type: string, message: string) {
  reply = {
    status,
    type: 'application/json',
    body: JSON.stringify({ message }),
    headers: { 'x-amzn-errortype': type },
  };
}

const ec2 = () => new EC2Client({ region: 'us-east-1', endpoint, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
const eks = () => new EKSClient({ region: 'us-east-1', endpoint, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
const createNat = () => ec2().send(new CreateNatGatewayCommand({ SubnetId: 'subnet-1', AllocationId: 'eipalloc-1' }));

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

describe('classifyAwsError', () => {
  it('turns a denied EC2 call into a PermanentError naming the permission to grant', async () => {
    ec2Error(403, 'UnauthorizedOperation', 'You are not authorized to perform this operation.');
    const err = await failure(aws('ec2:CreateNatGateway', createNat));
    expect(err).toBeInstanceOf(PermanentError);
    const p = err as PermanentError;
    expect(p.code).toBe('UnauthorizedOperation');
    expect(p.message).toBe(
      'ec2:CreateNatGateway failed: UnauthorizedOperation: You are not authorized to perform this operation.',
    );
    expect(p.hint).toMatch(/^grant ec2:CreateNatGateway to the IAM identity/);
  });

  it('names the quota to raise when a limit is reached', async () => {
    ec2Error(400, 'NatGatewayLimitExceeded', 'The maximum number of NAT gateways has been reached.');
    const err = (await failure(aws('ec2:CreateNatGateway', createNat))) as PermanentError;
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.hint).toContain('NAT gateways per Availability Zone');
  });

  it('treats EC2 throttling (RequestLimitExceeded) and server errors as transient: the same error comes back', async () => {
    ec2Error(503, 'RequestLimitExceeded', 'Request limit exceeded.');
    const throttled = await failure(aws('ec2:CreateNatGateway', createNat));
    expect(throttled).not.toBeInstanceOf(PermanentError);
    expect((throttled as Error).name).toBe('RequestLimitExceeded');

    ec2Error(500, 'InternalError', 'An internal error has occurred.');
    const internal = await failure(createNat());
    expect(classifyAwsError(internal, 'ec2:CreateNatGateway')).toBe(internal);
  });

  it('classifies EKS JSON errors: AccessDeniedException and InvalidParameterException are permanent', async () => {
    const create = () =>
      eks().send(
        new CreateClusterCommand({ name: 'demo-iad', roleArn: 'arn:aws:iam::1:role/x', resourcesVpcConfig: {} }),
      );
    eksError(403, 'AccessDeniedException', 'User is not authorized to perform: eks:CreateCluster');
    const denied = (await failure(aws('eks:CreateCluster', create))) as PermanentError;
    expect(denied).toBeInstanceOf(PermanentError);
    expect(denied.code).toBe('AccessDeniedException');
    expect(denied.hint).toContain('eks:CreateCluster');

    eksError(400, 'InvalidParameterException', 'unsupported Kubernetes version 1.99');
    const bad = (await failure(aws('eks:CreateCluster', create))) as PermanentError;
    expect(bad).toBeInstanceOf(PermanentError);
    expect(bad.message).toContain('unsupported Kubernetes version 1.99');
    expect(bad.hint).toMatch(/mesh spec/);

    eksError(400, 'ResourceInUseException', 'Cluster already exists with name: demo-iad');
    const inUse = await failure(aws('eks:CreateCluster', create));
    expect(inUse).not.toBeInstanceOf(PermanentError);
  });

  it('leaves errors that are not AWS errors alone', () => {
    const plain = new Error('socket hang up');
    expect(classifyAwsError(plain, 'ec2:DescribeVpcs')).toBe(plain);
  });
});

describe('a call naming a resource still settling', () => {
  it('is tried again inside the step, first after 100 ms (the SDK base delay), then after 250 ms', async () => {
    const vpcId = 'vpc-0new';
    const tries: number[] = [];
    const started = Date.now();
    const modify = async () => {
      tries.push(Date.now() - started);
      // EC2 answers NotFound for a VPC made a moment ago until its record has spread (eventual consistency).
      if (tries.length < 3) {
        ec2Error(400, 'InvalidVpcID.NotFound', `The vpc ID '${vpcId}' does not exist`);
        return ec2().send(new CreateNatGatewayCommand({ SubnetId: 'subnet-1', AllocationId: 'eipalloc-1' }));
      }
      return 'turned on';
    };
    expect(await aws('ec2:ModifyVpcAttribute', modify)).toBe('turned on');
    expect(tries).toHaveLength(3);
    const gaps = [tries[1]! - tries[0]!, tries[2]! - tries[1]!];
    // Lower bounds are what the backoff promises; the upper ones only keep a slow machine from hiding a longer wait.
    expect(gaps[0]).toBeGreaterThanOrEqual(99);
    expect(gaps[0]).toBeLessThan(250);
    expect(gaps[1]).toBeGreaterThanOrEqual(249);
  });
});

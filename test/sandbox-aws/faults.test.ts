// Faults on demand: throttling, server errors and denials in AWS's own shapes, as the SDK sees them;
// and the per-action call counter.
import { CreateVpcCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { CreateClusterCommand, ListClustersCommand } from '@aws-sdk/client-eks';
import { CreateRoleCommand, ListRolesCommand } from '@aws-sdk/client-iam';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFaults } from '../../sandbox/aws/faults.ts';
import { clients } from './helpers/aws.ts';
import { type Fixture, startFixture } from './helpers/sandbox-fixture.ts';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterEach(() => fx?.gateway.faults.clear());
afterAll(async () => {
  await fx?.stop();
});

const control = (method: string, path: string, body?: unknown) =>
  fetch(`${fx.gateway.url}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) }).then(
    async (r) => ({ status: r.status, body: await r.json() }),
  );

describe('faults on demand', () => {
  it('throttles EC2 with RequestLimitExceeded (503) when asked over the control API, and stops when cleared', async () => {
    const { ec2 } = clients(fx.gateway.url);
    expect((await control('POST', '/_sandbox/faults', { service: 'ec2', rate: 1, kind: 'throttle' })).status).toBe(200);
    const err = await ec2.send(new DescribeVpcsCommand({})).catch((e) => e);
    expect(err).toMatchObject({ name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 } });
    expect((await control('DELETE', '/_sandbox/faults')).body).toEqual({ rules: [], deny: [] });
    await expect(ec2.send(new DescribeVpcsCommand({}))).resolves.toBeDefined();
  });

  it('throttles EKS with ThrottlingException (429) and IAM with Throttling (400)', async () => {
    const { eks, iam } = clients(fx.gateway.url);
    fx.gateway.faults.add({ service: '*', rate: 1, kind: 'throttle' });
    expect(await eks.send(new ListClustersCommand({})).catch((e) => e)).toMatchObject({
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 429 },
    });
    expect(await iam.send(new ListRolesCommand({})).catch((e) => e)).toMatchObject({
      name: 'Throttling',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('answers server errors: EC2 InternalError 500, EKS ServiceUnavailableException 503', async () => {
    const { ec2, eks } = clients(fx.gateway.url);
    fx.gateway.faults.add({ service: 'ec2', rate: 1, kind: '5xx' });
    fx.gateway.faults.add({ service: 'eks', rate: 1, kind: '5xx' });
    expect(await ec2.send(new DescribeVpcsCommand({})).catch((e) => e)).toMatchObject({
      name: 'InternalError',
      $metadata: { httpStatusCode: 500 },
    });
    expect(await eks.send(new ListClustersCommand({})).catch((e) => e)).toMatchObject({
      name: 'ServiceUnavailableException',
      $metadata: { httpStatusCode: 503 },
    });
  });

  it('fails the share of calls asked for', () => {
    let i = 0;
    const faults = createFaults(() => (i++ % 100) / 100);
    faults.add({ service: 'ec2', rate: 0.2, kind: 'throttle' });
    const failed = Array.from({ length: 1000 }, () => faults.decide('ec2', 'DescribeVpcs')).filter(Boolean).length;
    expect(failed).toBe(200);
    expect(faults.decide('eks', 'ListClusters')).toBeUndefined();
  });

  it('lets the SDK retry its way through occasional throttling, and counts every attempt', async () => {
    fx.gateway.faults.add({ service: 'ec2', rate: 1, kind: 'throttle', actions: ['DescribeVpcs'] });
    const { ec2 } = clients(fx.gateway.url, 'us-east-1', 3);
    const before = fx.gateway.calls.counts()['ec2:DescribeVpcs'] ?? 0;
    const err = await ec2.send(new DescribeVpcsCommand({})).catch((e) => e);
    expect(err).toMatchObject({ name: 'RequestLimitExceeded', $metadata: { attempts: 3 } });
    expect(fx.gateway.calls.counts()['ec2:DescribeVpcs'] - before).toBe(3);
  });

  it('denies actions with the real AccessDenied shapes', async () => {
    const { ec2, eks, iam } = clients(fx.gateway.url);
    await control('POST', '/_sandbox/faults', { deny: ['ec2:CreateVpc', 'eks:CreateCluster', 'iam:CreateRole'] });
    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' })).catch((e) => e);
    expect(vpc).toMatchObject({ name: 'UnauthorizedOperation', $metadata: { httpStatusCode: 403 } });
    expect(vpc.message).toContain(
      'User: arn:aws:iam::123456789012:user/meshops is not authorized to perform: ec2:CreateVpc',
    );
    const cluster = await eks
      .send(
        new CreateClusterCommand({
          name: 'x',
          roleArn: 'arn:aws:iam::123456789012:role/r',
          resourcesVpcConfig: { subnetIds: [] },
        }),
      )
      .catch((e) => e);
    expect(cluster).toMatchObject({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });
    const role = await iam
      .send(new CreateRoleCommand({ RoleName: 'r', AssumeRolePolicyDocument: '{}' }))
      .catch((e) => e);
    expect(role).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect(role.message).toContain('iam:CreateRole');
    // Other actions go through.
    await expect(ec2.send(new DescribeVpcsCommand({}))).resolves.toBeDefined();
  });

  it('counts calls per service and action', async () => {
    const { ec2, eks } = clients(fx.gateway.url);
    await control('DELETE', '/_sandbox/calls');
    await ec2.send(new DescribeVpcsCommand({}));
    await ec2.send(new DescribeVpcsCommand({}));
    await eks.send(new ListClustersCommand({}));
    expect((await control('GET', '/_sandbox/calls')).body).toEqual({
      total: 3,
      calls: { 'ec2:DescribeVpcs': 2, 'eks:ListClusters': 1 },
    });
  });

  it('rejects malformed fault requests', async () => {
    expect((await control('POST', '/_sandbox/faults', { service: 'ec2', rate: 2, kind: 'throttle' })).status).toBe(400);
    expect((await control('POST', '/_sandbox/faults', { deny: ['CreateVpc'] })).status).toBe(400);
  });
});

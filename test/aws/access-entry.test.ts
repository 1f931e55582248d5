// Access that survives a new worker identity: EKS admits to a cluster's Kubernetes API only its creator and the
// principals with an access entry. The sandbox refuses a valid token of any other principal (as EKS does: 401),
// and `up`'s access-entry step grants the worker's current principal cluster admin, so a worker redeployed under
// another role gets in again.

import {
  CreateAccessEntryCommand,
  DescribeClusterCommand,
  ListAssociatedAccessPoliciesCommand,
} from '@aws-sdk/client-eks';
import { CreateRoleCommand } from '@aws-sdk/client-iam';
import { CoreV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessEntryStep, controlPlaneStep } from '../../jobs/up/aws/eks.ts';
import { iamStep } from '../../jobs/up/aws/iam.ts';
import { networkStep } from '../../jobs/up/aws/network.ts';
import { type Cloud, startCloud } from '../../sandbox/cloud.ts';
import { makeKubeAccess } from '../../src/kube/access.ts';
import { CLUSTER_ADMIN_POLICY, sessionRoleName } from '../../src/mesh/aws/access-entry.ts';
import { parallel, sequential } from '../../src/steps/step.ts';
import { meshSpec, run, TEST_CREDENTIALS, testDeps } from './harness.ts';

// The new worker role sits under a path, as organisations often put them: the session ARN STS answers does not
// say it, and EKS wants the role's ARN with it (an ARN without the path names no existing role).
const NEW_ROLE_SESSION = 'arn:aws:sts::123456789012:assumed-role/meshops-worker-v2/i-0abc123';
const NEW_ROLE = 'arn:aws:iam::123456789012:role/platform/workers/meshops-worker-v2';
const PATHLESS_ROLE = 'arn:aws:iam::123456789012:role/meshops-worker-v2';

let cloud: Cloud;
beforeAll(async () => {
  cloud = await startCloud({ profile: 'fast' });
}, 120_000);
afterAll(async () => {
  await cloud?.stop();
});

let minted = 0;

/**
 * A Kubernetes request as the worker makes it, with a fresh EKS token for whoever the caller is now. Each is
 * signed a few seconds apart: the sandbox has one key pair for every principal, so tokens signed in the same
 * second would be the same token, and the API server caches what a token was (rightly, on AWS).
 */
async function listNamespaces(spec: ReturnType<typeof meshSpec>, endpoint: string): Promise<number> {
  const deps = testDeps(endpoint, spec);
  const skew = ++minted * 2_000;
  const kube = makeKubeAccess(deps.aws, spec, {
    credentials: TEST_CREDENTIALS,
    stsEndpoint: endpoint,
    now: () => Date.now() - skew,
  });
  const kc = await kube.forCluster(spec.clusters[0]!);
  try {
    await kc.makeApiClient(CoreV1Api).listNamespace();
    return 200;
  } catch (err) {
    return (err as { code?: number }).code ?? 0;
  }
}

describe('EKS access entries', () => {
  it('reads the role name of an assumed-role session ARN, and none of a user or role ARN', () => {
    expect(sessionRoleName(NEW_ROLE_SESSION)).toBe('meshops-worker-v2');
    expect(sessionRoleName('arn:aws:iam::123456789012:user/meshops')).toBeUndefined();
    expect(sessionRoleName(NEW_ROLE)).toBeUndefined();
  });

  it('a worker under another role is refused by the cluster until up grants its principal an access entry', async () => {
    const spec = meshSpec('acc');
    spec.clusters = [spec.clusters[0]!];
    const deps = testDeps(cloud.awsEndpoint, spec);
    const c = spec.clusters[0]!;
    await run(
      sequential('t', 't', [
        parallel('f', 'f', [iamStep(deps), networkStep(deps, c)]),
        controlPlaneStep(deps, c),
        accessEntryStep(deps, c),
      ]),
    );
    const described = await deps.aws.eks(c.region).send(new DescribeClusterCommand({ name: 'acc-iad' }));
    expect(described.cluster?.accessConfig?.authenticationMode).toBe('API_AND_CONFIG_MAP');
    expect(await listNamespaces(spec, cloud.awsEndpoint)).toBe(200);

    // The worker is redeployed under another role, under a path: a valid token, but a principal the cluster
    // does not know.
    await deps.aws.iam().send(
      new CreateRoleCommand({
        RoleName: 'meshops-worker-v2',
        Path: '/platform/workers/',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    cloud.gateway.caller.set(NEW_ROLE_SESSION);
    expect(await listNamespaces(spec, cloud.awsEndpoint)).toBe(401);
    // As EKS does: the role's ARN without its path names no role IAM has.
    await expect(
      deps.aws
        .eks(c.region)
        .send(new CreateAccessEntryCommand({ clusterName: 'acc-iad', principalArn: PATHLESS_ROLE, type: 'STANDARD' })),
    ).rejects.toThrow(/principalArn is invalid/);
    expect(await listNamespaces(spec, cloud.awsEndpoint)).toBe(401);

    const again = await run(accessEntryStep(deps, c));
    expect(again.changed).toBe(true);
    const policies = await deps.aws
      .eks(c.region)
      .send(new ListAssociatedAccessPoliciesCommand({ clusterName: 'acc-iad', principalArn: NEW_ROLE }));
    expect(policies.associatedAccessPolicies?.map((p) => [p.policyArn, p.accessScope?.type])).toEqual([
      [CLUSTER_ADMIN_POLICY, 'cluster'],
    ]);
    expect(await listNamespaces(spec, cloud.awsEndpoint)).toBe(200);

    // Idempotent: a second up finds the entry and its policy.
    expect((await run(accessEntryStep(deps, c))).changed).toBe(false);
  }, 180_000);
});

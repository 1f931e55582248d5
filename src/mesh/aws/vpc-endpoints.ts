// VPC endpoints in the mesh's VPCs, which meshops never makes but must remove: GuardDuty's EKS runtime
// monitoring adds one (and a GuardDutyManaged security group) to every EKS VPC and does not remove the endpoint
// (GuardDuty user guide, runtime monitoring agent clean-up). While it exists EC2 refuses to delete the subnets
// its interfaces sit in, its security group and the VPC (DependencyViolation).

import type { EC2Client } from '@aws-sdk/client-ec2';
import { DeleteVpcEndpointsCommand, DescribeVpcEndpointsCommand } from '@aws-sdk/client-ec2';
import { aws, awsOrMissing } from '../../aws/errors.ts';
import type { Deps } from '../../deps.ts';
import type { StepContext, StepOutcome } from '../../steps/step.ts';
import { waitFor } from '../../steps/wait.ts';
import { removedOutcome } from './common.ts';

const GONE_TIMEOUT_MS = 10 * 60_000;

/** The endpoints in these VPCs that are not deleted yet. */
export async function findIn(ec2: EC2Client, vpcIds: string[]): Promise<{ id: string; service: string }[]> {
  if (!vpcIds.length) return [];
  const out = await aws('ec2:DescribeVpcEndpoints', () =>
    ec2.send(new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'vpc-id', Values: vpcIds }] })),
  );
  return (out.VpcEndpoints ?? [])
    .filter((e) => !['deleted', 'Deleted'].includes(String(e.State)))
    .map((e) => ({ id: e.VpcEndpointId!, service: e.ServiceName ?? '?' }));
}

/** Deletes the endpoints and waits until they are gone (their interfaces hold the subnets until then). */
export async function remove(deps: Deps, ctx: StepContext, region: string, ids: string[]): Promise<StepOutcome> {
  const ec2 = deps.aws.ec2(region);
  const out = await aws('ec2:DeleteVpcEndpoints', () =>
    ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: ids })),
  );
  // DeleteVpcEndpoints answers per endpoint: the ones it could not delete come back with the reason.
  const failed = (out.Unsuccessful ?? []).filter(
    (u) => u.ResourceId && u.Error?.Code !== 'InvalidVpcEndpoint.NotFound',
  );
  if (failed.length) {
    const why = failed.map((u) => `${u.ResourceId}: ${u.Error?.Code} ${u.Error?.Message ?? ''}`.trim());
    throw new Error(`could not delete VPC endpoints ${why.join('; ')}`);
  }
  await ctx.checkpoint();
  await waitFor(ctx, {
    what: `VPC endpoints ${ids.join(', ')} to be deleted`,
    intervalMs: deps.pollIntervalMs,
    timeoutMs: GONE_TIMEOUT_MS,
    poll: async () => {
      const left = await awsOrMissing(
        'ec2:DescribeVpcEndpoints',
        () => ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: ids })),
        'InvalidVpcEndpointId.NotFound',
      );
      const live = (left?.VpcEndpoints ?? []).filter((e) => !['deleted', 'Deleted'].includes(String(e.State)));
      return {
        done: live.length === 0,
        status: live.map((e) => `${e.VpcEndpointId} ${e.State}`).join(', ') || 'deleted',
      };
    },
  });
  return removedOutcome('VPC endpoints', region, ids, ids);
}

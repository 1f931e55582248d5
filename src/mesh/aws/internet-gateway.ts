// A cluster's internet gateway, attached to its VPC. On delete it must be detached first, which EC2 refuses
// while public addresses are still mapped in the VPC (the NAT gateways' addresses): retried.
// CreateInternetGateway has no idempotency token: a lost answer that the SDK retried leaves a second gateway with
// the cluster's tags; the one not attached is deleted and the step says so.

import type { EC2Client, InternetGateway, Vpc } from '@aws-sdk/client-ec2';
import {
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  DeleteInternetGatewayCommand,
  DescribeInternetGatewaysCommand,
  DetachInternetGatewayCommand,
} from '@aws-sdk/client-ec2';
import { aws } from '../../aws/errors.ts';
import { keepMatching, type Scope } from '../../aws/find.ts';
import { meshFilters, tagSpec } from '../../aws/tags.ts';
import type { Deps } from '../../deps.ts';
import { PermanentError } from '../../errors.ts';
import type { Observation, StepContext, StepOutcome } from '../../steps/step.ts';
import { type ClusterScope, clusterTags, deleteRetrying, type Health, healthLine, removedOutcome } from './common.ts';
import { requireVpc } from './vpc.ts';

export async function findInternetGateways(ec2: EC2Client, s: Scope): Promise<InternetGateway[]> {
  const filters = meshFilters(s.mesh, s);
  const out = await aws('ec2:DescribeInternetGateways', () =>
    ec2.send(new DescribeInternetGatewaysCommand({ Filters: filters })),
  );
  return keepMatching(out.InternetGateways ?? [], filters);
}

export async function findOne(s: ClusterScope): Promise<InternetGateway | undefined> {
  return (await findInternetGateways(s.ec2, { mesh: s.mesh, cluster: s.cluster.name, component: 'igw' }))[0];
}

/** AWS reports an attachment as 'available', though the SDK type says 'attached'. */
function isAttached(igw: InternetGateway, vpcId?: string): boolean {
  return (igw.Attachments ?? []).some(
    (a) => ['available', 'attached'].includes(String(a.State)) && (!vpcId || a.VpcId === vpcId),
  );
}

export async function observe(s: ClusterScope): Promise<Observation> {
  const igw = await findOne(s);
  if (!igw) return { state: 'missing' };
  const attached = isAttached(igw);
  return attached
    ? { state: 'ok', detail: igw.InternetGatewayId }
    : { state: 'repair', detail: `${igw.InternetGatewayId} not attached` };
}

export async function ensure(s: ClusterScope, ctx: StepContext): Promise<StepOutcome> {
  const vpc = await requireVpc(s);
  let igw = await findOne(s);
  let changed = false;
  if (!igw) {
    const out = await aws('ec2:CreateInternetGateway', () =>
      s.ec2.send(
        new CreateInternetGatewayCommand({ TagSpecifications: tagSpec('internet-gateway', clusterTags(s, 'igw')) }),
      ),
    );
    igw = out.InternetGateway!;
    changed = true;
    await ctx.checkpoint();
  }
  const id = igw.InternetGatewayId!;
  const attachedTo = (igw.Attachments ?? []).map((a) => a.VpcId);
  if (attachedTo.length && !attachedTo.includes(vpc.VpcId)) {
    throw new PermanentError(`internet gateway ${id} is attached to ${attachedTo.join(', ')}, not ${vpc.VpcId}`, {
      code: 'IgwAttachedElsewhere',
      hint: 'detach it by hand, or run /mesh down and up again',
    });
  }
  if (!attachedTo.length) {
    await aws('ec2:AttachInternetGateway', () =>
      s.ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: id, VpcId: vpc.VpcId! })),
    );
    changed = true;
  }
  const removed = await removeDuplicates(s, ctx, id);
  const dup = removed.length
    ? `; removed a duplicate internet gateway ${removed.join(', ')} (a retried CreateInternetGateway made it)`
    : '';
  return {
    summary: `internet gateway ${changed ? 'ready' : 'exists'}: ${id} attached to ${vpc.VpcId}${dup}`,
    changed,
    resources: { igw: id },
  };
}

/** Every other gateway tagged for this cluster that is attached nowhere: a copy a retried create made. */
async function removeDuplicates(s: ClusterScope, ctx: StepContext, keep: string): Promise<string[]> {
  const all = await findInternetGateways(s.ec2, { mesh: s.mesh, cluster: s.cluster.name, component: 'igw' });
  const removed: string[] = [];
  for (const g of all.filter((x) => x.InternetGatewayId !== keep && !(x.Attachments ?? []).length)) {
    const id = g.InternetGatewayId!;
    const del = () =>
      aws('ec2:DeleteInternetGateway', () => s.ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: id })));
    // Listed by its tags, so it exists: NotFound here is the copy still settling, not a copy gone.
    const opts = { notFound: [], retryOn: ['InvalidInternetGatewayID.NotFound'], timeoutMs: 2 * 60_000 };
    if (await deleteRetrying(s.deps, ctx, `duplicate internet gateway ${id}`, del, opts)) removed.push(id);
  }
  return removed;
}

export function health(igws: InternetGateway[], vpc: Vpc | undefined): Health[] {
  const igw = igws[0];
  if (!igw) return [healthLine('absent', 'internet gateway', 'none')];
  const attached = (igw.Attachments ?? []).some((a) => a.VpcId === vpc?.VpcId);
  const subject = `internet gateway ${igw.InternetGatewayId}`;
  return [
    healthLine(
      attached ? 'ok' : 'warning',
      subject,
      attached ? `attached to ${vpc?.VpcId}` : 'not attached to the VPC',
    ),
  ];
}

export async function remove(
  deps: Deps,
  ctx: StepContext,
  region: string,
  igws: InternetGateway[],
): Promise<StepOutcome> {
  const ec2 = deps.aws.ec2(region);
  const deleted: string[] = [];
  for (const g of igws) {
    const id = g.InternetGatewayId!;
    for (const a of g.Attachments ?? []) {
      // Refused while public addresses are still mapped in the VPC: retried.
      const detach = () =>
        aws('ec2:DetachInternetGateway', () =>
          ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: id, VpcId: a.VpcId! })),
        );
      await deleteRetrying(deps, ctx, `attachment of ${id} to ${a.VpcId}`, detach, {
        notFound: ['Gateway.NotAttached', 'InvalidInternetGatewayID.NotFound', 'InvalidVpcID.NotFound'],
      });
    }
    const del = () =>
      aws('ec2:DeleteInternetGateway', () => ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: id })));
    if (
      await deleteRetrying(deps, ctx, `internet gateway ${id}`, del, {
        notFound: ['InvalidInternetGatewayID.NotFound'],
      })
    ) {
      deleted.push(id);
    }
  }
  return removedOutcome(
    'internet gateways',
    region,
    deleted,
    igws.map((g) => g.InternetGatewayId!),
  );
}

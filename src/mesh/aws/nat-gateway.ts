// A NAT gateway per AZ in the public subnet, each with its Elastic IP; the private route tables send 0.0.0.0/0
// to it. What AWS does here that surprises people:
// - a NAT gateway is `pending` for 1-3 minutes, and can end `failed` with a FailureCode (no free address in
//   the subnet, no internet gateway, the Elastic IP in use): never repaired, so the next `up` makes a new one;
// - deleting a NAT gateway does not release its Elastic IP, and ReleaseAddress answers AuthFailure while the
//   NAT gateway holds the address, while it is deleting, and for a while after it reached `deleted`: retried;
// - AllocateAddress has no idempotency token: an address made by an earlier run that stopped before the NAT
//   gateway is found by its tag and reused; a second address for the same AZ (a lost answer the SDK retried) is
//   released once the NAT gateway holds the first, and the step says so.

import type { Address, EC2Client, Filter, NatGateway } from '@aws-sdk/client-ec2';
import {
  AllocateAddressCommand,
  CreateNatGatewayCommand,
  DeleteNatGatewayCommand,
  DescribeAddressesCommand,
  DescribeNatGatewaysCommand,
  ReleaseAddressCommand,
} from '@aws-sdk/client-ec2';
import { aws, awsOrMissing } from '../../aws/errors.ts';
import { keepMatching, type Scope } from '../../aws/find.ts';
import { meshFilters, resourceName, tagSpec } from '../../aws/tags.ts';
import type { Deps } from '../../deps.ts';
import { PermanentError } from '../../errors.ts';
import type { Observation, StepContext, StepOutcome } from '../../steps/step.ts';
import { waitFor } from '../../steps/wait.ts';
import { type ClusterScope, clusterTags, deleteRetrying, type Health, healthLine, removedOutcome } from './common.ts';
import { requireSubnet, subnetsOf } from './subnets.ts';

const NAT_TIMEOUT_MS = 10 * 60_000;
const NAT_DELETE_TIMEOUT_MS = 10 * 60_000;

/** NAT gateways that exist or are on their way (failed/deleting/deleted ones are history, not resources). */
export const LIVE_NAT_STATES = ['pending', 'available'];

export async function findNatGateways(
  ec2: EC2Client,
  s: Scope,
  extra: Filter[] = [],
  states = LIVE_NAT_STATES,
): Promise<NatGateway[]> {
  const filters = [...meshFilters(s.mesh, s), ...extra];
  if (states.length) filters.push({ Name: 'state', Values: states });
  const out = await aws('ec2:DescribeNatGateways', () => ec2.send(new DescribeNatGatewaysCommand({ Filter: filters })));
  // Some EC2-compatible endpoints ignore the state filter: apply it again.
  return keepMatching(out.NatGateways ?? [], filters).filter((n) => !states.length || states.includes(n.State!));
}

export async function findAddresses(ec2: EC2Client, s: Scope): Promise<Address[]> {
  const filters = meshFilters(s.mesh, s);
  const out = await aws('ec2:DescribeAddresses', () => ec2.send(new DescribeAddressesCommand({ Filters: filters })));
  return keepMatching(out.Addresses ?? [], filters);
}

/** The live NAT gateway of one public subnet. */
export async function natOf(s: ClusterScope, subnetId: string): Promise<NatGateway | undefined> {
  const scope = { mesh: s.mesh, cluster: s.cluster.name, component: 'nat' as const };
  return (await findNatGateways(s.ec2, scope, [{ Name: 'subnet-id', Values: [subnetId] }]))[0];
}

export async function observe(s: ClusterScope, k: number): Promise<Observation> {
  const subnet = (await subnetsOf(s, 'public'))[k];
  if (!subnet) return { state: 'missing', detail: `AZ ${k + 1}` };
  const nat = await natOf(s, subnet.SubnetId!);
  if (!nat) return { state: 'missing', detail: subnet.AvailabilityZone };
  const where = `${nat.NatGatewayId} in ${subnet.AvailabilityZone}`;
  return nat.State === 'available'
    ? { state: 'ok', detail: where }
    : { state: 'wait', detail: `${where} to leave ${nat.State}` };
}

async function addressFor(s: ClusterScope, ctx: StepContext, az: string): Promise<Address> {
  // The Elastic IP of this AZ, made by an earlier run that stopped before the NAT gateway, is reused.
  const name = resourceName(s.mesh, s.cluster.name, 'eip', az);
  const eips = await findAddresses(s.ec2, { mesh: s.mesh, cluster: s.cluster.name, component: 'eip', name });
  const free = eips.find((a) => !a.AssociationId) ?? eips[0];
  if (free) return free;
  const out = await aws('ec2:AllocateAddress', () =>
    s.ec2.send(
      new AllocateAddressCommand({
        Domain: 'vpc',
        TagSpecifications: tagSpec('elastic-ip', clusterTags(s, 'eip', az)),
      }),
    ),
  );
  await ctx.checkpoint();
  return { AllocationId: out.AllocationId, PublicIp: out.PublicIp };
}

async function waitAvailable(s: ClusterScope, ctx: StepContext, natId: string, az: string): Promise<void> {
  await waitFor(ctx, {
    what: `NAT gateway ${natId} (${az})`,
    intervalMs: s.deps.pollIntervalMs,
    timeoutMs: NAT_TIMEOUT_MS,
    poll: async () => {
      const out = await aws('ec2:DescribeNatGateways', () =>
        s.ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [natId] })),
      );
      const cur = out.NatGateways?.[0];
      if (cur?.State === 'failed') throw natFailed(natId, az, cur);
      return { done: cur?.State === 'available', status: cur?.State ?? 'not visible yet' };
    },
  });
}

/**
 * AWS does not repair a failed NAT gateway, and its cause (no free address in the subnet, no internet gateway
 * attached, the Elastic IP in use elsewhere) stays until someone fixes it: permanent, not retried. A failed one
 * is history: the next `up` finds no live NAT gateway in the AZ and makes a new one, with the same Elastic IP.
 */
function natFailed(natId: string, az: string, nat: NatGateway): PermanentError {
  const reason = [nat.FailureCode, nat.FailureMessage].filter(Boolean).join(': ') || 'no reason given';
  return new PermanentError(`NAT gateway ${natId} (${az}) is failed: ${reason}`, {
    code: 'NatGatewayFailed',
    hint:
      `AWS does not repair a failed NAT gateway: once the cause is fixed, \`/mesh up\` makes a new one in ${az} ` +
      '(AWS keeps the failed one listed for a while, then removes it).',
  });
}

export async function ensure(s: ClusterScope, k: number, ctx: StepContext): Promise<StepOutcome> {
  const subnet = await requireSubnet(s, 'public', k);
  const az = subnet.AvailabilityZone!;
  let nat = await natOf(s, subnet.SubnetId!);
  let changed = false;
  let allocationId = nat?.NatGatewayAddresses?.[0]?.AllocationId;
  if (!nat) {
    const eip = await addressFor(s, ctx, az);
    allocationId = eip.AllocationId;
    const out = await aws('ec2:CreateNatGateway', () =>
      s.ec2.send(
        new CreateNatGatewayCommand({
          SubnetId: subnet.SubnetId!,
          AllocationId: eip.AllocationId!,
          TagSpecifications: tagSpec('natgateway', clusterTags(s, 'nat', az)),
        }),
      ),
    );
    nat = out.NatGateway!;
    changed = true;
    await ctx.checkpoint();
  }
  const natId = nat.NatGatewayId!;
  const waited = nat.State !== 'available';
  if (waited) await waitAvailable(s, ctx, natId, az);
  const verb = changed ? 'ready' : waited ? 'available (waited for it)' : 'exists';
  const released = await releaseDuplicateAddresses(s, ctx, az, allocationId);
  const dup = released.length
    ? `; released a duplicate Elastic IP ${released.join(', ')} (a retried AllocateAddress made it)`
    : '';
  return {
    summary: `NAT gateway ${verb}: ${natId} in ${az} (${subnet.SubnetId}), Elastic IP ${allocationId ?? '?'}${dup}`,
    changed: changed || waited,
    resources: { nat: natId, ...(allocationId ? { eip: allocationId } : {}) },
  };
}

/** The other addresses tagged for this AZ that nothing holds: copies a retried AllocateAddress made. */
async function releaseDuplicateAddresses(
  s: ClusterScope,
  ctx: StepContext,
  az: string,
  inUse: string | undefined,
): Promise<string[]> {
  if (!inUse) return [];
  const name = resourceName(s.mesh, s.cluster.name, 'eip', az);
  const eips = await findAddresses(s.ec2, { mesh: s.mesh, cluster: s.cluster.name, component: 'eip', name });
  const released: string[] = [];
  for (const a of eips.filter((x) => x.AllocationId !== inUse && !x.AssociationId)) {
    const id = a.AllocationId!;
    const call = () => aws('ec2:ReleaseAddress', () => s.ec2.send(new ReleaseAddressCommand({ AllocationId: id })));
    // Listed by its tags, so it exists: NotFound here is the copy still settling.
    const opts = { notFound: [], retryOn: ['InvalidAllocationID.NotFound', 'AuthFailure'], timeoutMs: 2 * 60_000 };
    if (await deleteRetrying(s.deps, ctx, `duplicate Elastic IP ${id}`, call, opts)) released.push(id);
  }
  return released;
}

export function health(nats: NatGateway[]): Health[] {
  if (nats.length === 0) return [healthLine('absent', 'NAT gateways', 'none (0/2)')];
  const out = nats.map((n) => {
    const subject = `NAT gateway ${n.NatGatewayId}`;
    const where = `in ${n.SubnetId}`;
    if (n.State === 'available') return healthLine('ok', subject, `available ${where}`);
    if (n.State === 'pending') return healthLine('warning', subject, `pending ${where}`);
    return healthLine('failing', subject, `${n.State} ${where}${n.FailureMessage ? `: ${n.FailureMessage}` : ''}`);
  });
  const live = nats.filter((n) => n.State === 'available' || n.State === 'pending').length;
  if (live < 2) out.push(healthLine('warning', 'NAT gateways', `${live}/2 (one per AZ expected)`));
  return out;
}

/** Deletes the NAT gateways and waits until they are `deleted` (their addresses can be released only then). */
export async function remove(deps: Deps, ctx: StepContext, region: string, ids: string[]): Promise<StepOutcome> {
  const ec2 = deps.aws.ec2(region);
  const deleted: string[] = [];
  for (const id of ids) {
    const out = await awsOrMissing(
      'ec2:DeleteNatGateway',
      () => ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: id })),
      'NatGatewayNotFound',
      'InvalidNatGatewayID.NotFound',
    );
    if (out) deleted.push(id);
  }
  await ctx.checkpoint();
  await waitFor(ctx, {
    what: `NAT gateways ${ids.join(', ')} to be deleted`,
    intervalMs: deps.pollIntervalMs,
    timeoutMs: NAT_DELETE_TIMEOUT_MS,
    poll: async () => {
      const out = await awsOrMissing(
        'ec2:DescribeNatGateways',
        () => ec2.send(new DescribeNatGatewaysCommand({ NatGatewayIds: ids })),
        'NatGatewayNotFound',
      );
      const left = (out?.NatGateways ?? []).filter((n) => n.State !== 'deleted' && n.State !== 'failed');
      return {
        done: left.length === 0,
        status: left.map((n) => `${n.NatGatewayId} ${n.State}`).join(', ') || 'deleted',
      };
    },
  });
  return removedOutcome('NAT gateways', region, deleted, ids);
}

/**
 * Releases the Elastic IPs. AuthFailure is what AWS answers while an address is still tied to a NAT gateway,
 * also for a while after the NAT gateway is deleted: retried (bounded), like a dependency.
 */
export async function releaseAddresses(
  deps: Deps,
  ctx: StepContext,
  region: string,
  ids: string[],
): Promise<StepOutcome> {
  const ec2 = deps.aws.ec2(region);
  const deleted: string[] = [];
  for (const a of ids) {
    const call = () => aws('ec2:ReleaseAddress', () => ec2.send(new ReleaseAddressCommand({ AllocationId: a })));
    const ok = await deleteRetrying(deps, ctx, `Elastic IP ${a}`, call, {
      notFound: ['InvalidAllocationID.NotFound', 'InvalidAddress.NotFound'],
      retryOn: ['InvalidIPAddress.InUse', 'AuthFailure', 'DependencyViolation'],
    });
    if (ok) deleted.push(a);
  }
  return removedOutcome('Elastic IPs', region, deleted, ids);
}

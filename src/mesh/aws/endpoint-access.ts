// Who may reach a cluster's public Kubernetes endpoint. With `publicAccessCidrs` in the spec: those CIDRs plus
// every NAT address of the mesh (/32 each, all regions: the other clusters' typha reach this endpoint through
// their NAT gateways) and nothing else. Without: EKS's default 0.0.0.0/0, and `status` warns.
// EKS applies a change in minutes (the cluster is UPDATING and refuses another update meanwhile) and refuses
// an update that changes nothing, so the step compares first and waits for its update.
import type { Cluster, EKSClient } from '@aws-sdk/client-eks';
import { DescribeUpdateCommand, UpdateClusterConfigCommand } from '@aws-sdk/client-eks';
import { aws } from '../../aws/errors.ts';
import type { Deps } from '../../deps.ts';
import { PermanentError } from '../../errors.ts';
import type { Observation, StepContext, StepOutcome } from '../../steps/step.ts';
import { waitFor } from '../../steps/wait.ts';
import { type ClusterScope, type Health, healthLine } from './common.ts';
import { describeCluster, eksName, waitActive } from './eks-cluster.ts';
import { findNatGateways } from './nat-gateway.ts';

export const OPEN_TO_ALL = '0.0.0.0/0';
/** EKS's limit on a public endpoint's CIDR blocks. */
export const MAX_PUBLIC_ACCESS_CIDRS = 40;
const UPDATE_TIMEOUT_MS = 20 * 60_000;

/** The public address of every NAT gateway of the mesh, in every region, as /32s. */
async function natCidrs(deps: Deps): Promise<string[]> {
  const mesh = deps.spec.name;
  const per = await Promise.all(
    deps.spec.clusters.map((c) => findNatGateways(deps.aws.ec2(c.region), { mesh, cluster: c.name, component: 'nat' })),
  );
  return per
    .flat()
    .flatMap((n) => (n.NatGatewayAddresses ?? []).map((a) => a.PublicIp).filter((ip) => !!ip))
    .map((ip) => `${ip}/32`);
}

/** What the endpoints should admit, sorted and without duplicates. */
export async function wantedCidrs(deps: Deps): Promise<string[]> {
  const named = deps.spec.publicAccessCidrs;
  if (!named?.length) return [OPEN_TO_ALL];
  const all = [...new Set([...named, ...(await natCidrs(deps))])].sort();
  if (all.length > MAX_PUBLIC_ACCESS_CIDRS) {
    throw new PermanentError(
      `the clusters' public endpoints would need ${all.length} CIDRs (the spec's plus one per NAT gateway); EKS allows ${MAX_PUBLIC_ACCESS_CIDRS}`,
      { code: 'TooManyCidrs', hint: 'name fewer, wider publicAccessCidrs in the spec' },
    );
  }
  return all;
}

const sameSet = (a: string[], b: string[]) => [...a].sort().join(',') === [...b].sort().join(',');
const current = (c: Cluster | undefined) => c?.resourcesVpcConfig?.publicAccessCidrs ?? [OPEN_TO_ALL];

export async function observe(s: ClusterScope): Promise<Observation> {
  const c = await describeCluster(s.deps.aws.eks(s.cluster.region), eksName(s));
  const want = await wantedCidrs(s.deps);
  if (c && sameSet(current(c), want)) return { state: 'ok', detail: want.join(', ') };
  return { state: 'missing', detail: `admit ${want.join(', ')}` };
}

async function waitUpdate(s: ClusterScope, ctx: StepContext, eks: EKSClient, updateId: string): Promise<void> {
  const name = eksName(s);
  await waitFor(ctx, {
    what: `endpoint access update of ${name}`,
    intervalMs: s.deps.pollIntervalMs,
    timeoutMs: UPDATE_TIMEOUT_MS,
    poll: async () => {
      const { update } = await aws('eks:DescribeUpdate', () => eks.send(new DescribeUpdateCommand({ name, updateId })));
      if (update?.status === 'Failed' || update?.status === 'Cancelled') {
        const why =
          (update.errors ?? []).map((e) => `${e.errorCode}: ${e.errorMessage}`).join('; ') || 'no reason given';
        throw new PermanentError(`EKS refused the endpoint access update of ${name}: ${why}`, {
          code: 'UpdateFailed',
          hint: 'check publicAccessCidrs in the spec',
        });
      }
      return { done: update?.status === 'Successful', status: update?.status ?? 'unknown' };
    },
  });
}

export async function ensure(s: ClusterScope, ctx: StepContext): Promise<StepOutcome> {
  const eks = s.deps.aws.eks(s.cluster.region);
  const name = eksName(s);
  const want = await wantedCidrs(s.deps);
  // Another update (or the create) may still be under way: EKS takes one at a time.
  const c = await waitActive(s, ctx);
  let changed = false;
  if (!sameSet(current(c), want)) {
    const { update } = await aws('eks:UpdateClusterConfig', () =>
      eks.send(new UpdateClusterConfigCommand({ name, resourcesVpcConfig: { publicAccessCidrs: want } })),
    );
    if (update?.id) await waitUpdate(s, ctx, eks, update.id);
    await waitActive(s, ctx);
    changed = true;
  }
  return {
    summary: `public endpoint of ${name} admits ${want.join(', ')}${changed ? ' (updated)' : ''}`,
    changed,
    resources: { publicAccessCidrs: want.join(',') },
  };
}

/** A status line: a warning when the endpoint is open to all, or when it differs from what the spec asks. */
export function health(deps: Deps, name: string, c: Cluster | undefined, want: string[]): Health[] {
  if (!c) return [];
  const subject = `public endpoint of ${name}`;
  const has = current(c);
  if (!deps.spec.publicAccessCidrs?.length) {
    if (!has.includes(OPEN_TO_ALL)) return [healthLine('ok', subject, `admits ${has.join(', ')}`)];
    return [
      healthLine(
        'warning',
        subject,
        `open to ${OPEN_TO_ALL}: name publicAccessCidrs in the spec (the CIDRs your workers and people reach the ` +
          "clusters from) and run /mesh up; meshops adds the mesh's NAT addresses itself",
      ),
    ];
  }
  if (sameSet(has, want)) return [healthLine('ok', subject, `admits ${has.join(', ')}`)];
  return [healthLine('warning', subject, `admits ${has.join(', ')}, the spec asks ${want.join(', ')}: run /mesh up`)];
}

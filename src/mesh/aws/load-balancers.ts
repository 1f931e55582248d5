// Load balancers that Kubernetes Services of type LoadBalancer made in the mesh's VPCs. meshops never makes one,
// but each outlives its cluster and blocks the VPC: its interfaces sit in the subnets and use its security group
// (DeleteSubnet, DeleteSecurityGroup and DeleteVpc answer DependencyViolation; eksctl issues 253, 616, 7589).
// Found by the tags the controllers put on them, through both APIs: ELBv2 for the AWS Load Balancer
// Controller's (`elbv2.k8s.aws/cluster: <cluster>`), and the ELB API for the Classic ones the in-tree cloud
// provider makes when that controller is absent (`kubernetes.io/cluster/<cluster>: owned`,
// classic-load-balancers.ts). Their security groups (`k8s-<ns>-<name>-*`, `k8s-elb-*`) go with the VPC's other
// leftover groups (security-groups.ts).
import type {
  ElasticLoadBalancingV2Client,
  LoadBalancer,
  TagDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  DeleteLoadBalancerCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { aws, awsOrMissing } from '../../aws/errors.ts';
import type { Deps } from '../../deps.ts';
import { errorMessage, PermanentError } from '../../errors.ts';
import type { StepContext, StepOutcome } from '../../steps/step.ts';
import { waitFor } from '../../steps/wait.ts';
import { classicExists, deleteClassic, findClassic } from './classic-load-balancers.ts';
import { removedOutcome } from './common.ts';

const GONE_TIMEOUT_MS = 10 * 60_000;
/** DescribeTags takes at most 20 ARNs. */
const TAGS_PER_CALL = 20;

export interface FoundLoadBalancer {
  /** ELBv2's type (`network`, `application`, `gateway`), or `classic` (the ELB API's, the in-tree provider's). */
  type: string;
  /** What its API names it by: the ARN (ELBv2) or the name (Classic). */
  id: string;
  name: string;
  /** The EKS cluster whose controller made it. */
  cluster: string;
  vpcId: string;
}

/** The cluster a load balancer's tags say made it, if it is one of `clusters`. */
function madeBy(tags: TagDescription['Tags'], clusters: Set<string>): string | undefined {
  for (const t of tags ?? []) {
    if (t.Key === 'elbv2.k8s.aws/cluster' && clusters.has(t.Value ?? '')) return t.Value;
    const inTree = /^kubernetes\.io\/cluster\/(.+)$/.exec(t.Key ?? '')?.[1];
    if (inTree && clusters.has(inTree)) return inTree;
  }
  return undefined;
}

async function allLoadBalancers(elb: ElasticLoadBalancingV2Client): Promise<LoadBalancer[]> {
  const out: LoadBalancer[] = [];
  let marker: string | undefined;
  do {
    const page = await aws('elasticloadbalancing:DescribeLoadBalancers', () =>
      elb.send(new DescribeLoadBalancersCommand({ Marker: marker })),
    );
    out.push(...(page.LoadBalancers ?? []));
    marker = page.NextMarker;
  } while (marker);
  return out;
}

async function findV2(
  elb: ElasticLoadBalancingV2Client,
  clusters: Set<string>,
  vpcIds?: string[],
): Promise<FoundLoadBalancer[]> {
  const candidates = (await allLoadBalancers(elb)).filter((lb) => !vpcIds || vpcIds.includes(lb.VpcId ?? ''));
  const found: FoundLoadBalancer[] = [];
  for (let i = 0; i < candidates.length; i += TAGS_PER_CALL) {
    const chunk = candidates.slice(i, i + TAGS_PER_CALL);
    const tags = await aws('elasticloadbalancing:DescribeTags', () =>
      elb.send(new DescribeTagsCommand({ ResourceArns: chunk.map((lb) => lb.LoadBalancerArn!) })),
    );
    for (const d of tags.TagDescriptions ?? []) {
      const cluster = madeBy(d.Tags, clusters);
      const lb = chunk.find((x) => x.LoadBalancerArn === d.ResourceArn);
      if (cluster && lb) {
        const arn = lb.LoadBalancerArn!;
        found.push({ type: lb.Type ?? 'network', id: arn, name: lb.LoadBalancerName!, cluster, vpcId: lb.VpcId! });
      }
    }
  }
  return found;
}

/**
 * The load balancers the controllers of these EKS clusters made, ELBv2 and Classic, in the region; only those in
 * `vpcIds` when given (a load balancer elsewhere blocks nothing of the mesh).
 */
export async function findForClusters(
  deps: Deps,
  region: string,
  clusters: Set<string>,
  vpcIds?: string[],
): Promise<FoundLoadBalancer[]> {
  if (!clusters.size) return [];
  const [v2, classic] = await Promise.all([
    findV2(deps.aws.elbv2(region), clusters, vpcIds),
    findClassic(deps.aws.elb(region), clusters, vpcIds),
  ]);
  return [...v2, ...classic.map((c) => ({ type: 'classic', id: c.name, ...c }))];
}

/** How a report names one: "a1b2... (classic, demo-iad)". */
export const describeLoadBalancer = (lb: FoundLoadBalancer) => `${lb.name} (${lb.type}, ${lb.cluster})`;

/** Waits until the load balancers of these clusters are gone (their Services were deleted; the controller works). */
export async function waitGone(
  deps: Deps,
  ctx: StepContext,
  region: string,
  clusters: Set<string>,
  timeoutMs = GONE_TIMEOUT_MS,
): Promise<void> {
  await waitFor(ctx, {
    what: `load balancers of ${[...clusters].join(', ')} to be deleted by their controller`,
    intervalMs: deps.pollIntervalMs,
    timeoutMs,
    poll: async () => {
      const left = await findForClusters(deps, region, clusters);
      return { done: left.length === 0, status: left.map((l) => l.name).join(', ') || 'none left' };
    },
  });
}

async function deleteOne(deps: Deps, region: string, lb: FoundLoadBalancer): Promise<void> {
  if (lb.type === 'classic') return deleteClassic(deps.aws.elb(region), lb.id);
  // ELBv2 answers success for a load balancer already deleted.
  await aws('elasticloadbalancing:DeleteLoadBalancer', () =>
    deps.aws.elbv2(region).send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb.id })),
  );
}

/** Which of these the APIs still list, with their state. */
async function stillThere(deps: Deps, region: string, lbs: FoundLoadBalancer[]): Promise<string[]> {
  const v2 = lbs.filter((l) => l.type !== 'classic');
  const out = v2.length
    ? await awsOrMissing(
        'elasticloadbalancing:DescribeLoadBalancers',
        () => deps.aws.elbv2(region).send(new DescribeLoadBalancersCommand({ LoadBalancerArns: v2.map((l) => l.id) })),
        'LoadBalancerNotFound',
        'LoadBalancerNotFoundException',
      )
    : undefined;
  const left = (out?.LoadBalancers ?? []).map((l) => `${l.LoadBalancerName} ${l.State?.Code}`);
  for (const c of lbs.filter((l) => l.type === 'classic')) {
    if (await classicExists(deps.aws.elb(region), c.id)) left.push(`${c.name} still listed`);
  }
  return left;
}

/**
 * Deletes load balancers whose controller is gone with its cluster, and waits until their APIs no longer list
 * them (their interfaces, and so their security groups, go with them). One that cannot be deleted does not stop
 * the others; the step then fails naming each, with its cluster and AWS's reason.
 */
export async function remove(
  deps: Deps,
  ctx: StepContext,
  region: string,
  lbs: FoundLoadBalancer[],
): Promise<StepOutcome> {
  const refused: Array<{ lb: FoundLoadBalancer; err: unknown }> = [];
  const deleting: FoundLoadBalancer[] = [];
  for (const lb of lbs) {
    try {
      await deleteOne(deps, region, lb);
      deleting.push(lb);
    } catch (err) {
      refused.push({ lb, err });
    }
  }
  await ctx.checkpoint();
  if (deleting.length) {
    await waitFor(ctx, {
      what: `load balancers ${deleting.map(describeLoadBalancer).join(', ')} to be deleted`,
      intervalMs: deps.pollIntervalMs,
      timeoutMs: GONE_TIMEOUT_MS,
      poll: async () => {
        const left = await stillThere(deps, region, deleting);
        return { done: left.length === 0, status: left.join(', ') };
      },
    });
  }
  if (refused.length) {
    const names = deleting.map((l) => l.name);
    const done = names.length ? `; deleted ${names.join(', ')}` : '';
    const message = `${region}: could not delete load balancers ${refused.map(({ lb, err }) => `${describeLoadBalancer(lb)}: ${errorMessage(err)}`).join('; ')}${done}`;
    const permanent = refused.map((r) => r.err).filter((e) => e instanceof PermanentError);
    // Only when no retry can help (permissions, say) is it permanent; otherwise the next try may succeed.
    if (permanent.length === refused.length)
      throw new PermanentError(message, { code: permanent[0]!.code, hint: permanent[0]!.hint });
    throw new Error(message);
  }
  const names = lbs.map((l) => l.name);
  return removedOutcome('load balancers', region, names, names);
}

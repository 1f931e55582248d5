// Load balancers that Kubernetes Services of type LoadBalancer made in the mesh's VPCs. meshops never makes one,
// but each outlives its cluster and blocks the VPC: its interfaces sit in the subnets and use its security group
// (DeleteSubnet, DeleteSecurityGroup and DeleteVpc answer DependencyViolation; eksctl issues 253, 616, 7589).
// Found by the tags the controllers put on them, through both APIs: ELBv2 for the AWS Load Balancer
// Controller's (`elbv2.k8s.aws/cluster: <cluster>`), and the ELB API for the Classic ones the in-tree cloud
// provider makes when that controller is absent (`kubernetes.io/cluster/<cluster>: owned`,
// classic-load-balancers.ts), and for the in-tree provider's network load balancers
// (`service.beta.kubernetes.io/aws-load-balancer-type: nlb`: ELBv2, same tags, no security group of its own; it
// opens the node ports in the nodes' group instead, which goes with the cluster). ELBv2 keeps a deleted load
// balancer's target groups (`k8s-<ns>-<name>-<hash>`, tagged as the load balancer): they block nothing and cost
// nothing, but they are the mesh's leftovers too, so down deletes them once their load balancers are gone
// (cloud-provider-aws pkg/providers/v1/aws_loadbalancer.go). Their security groups (`k8s-<ns>-<name>-*`, `k8s-elb-*`) go with the VPC's other
// leftover groups (security-groups.ts).
import type {
  ElasticLoadBalancingV2Client,
  LoadBalancer,
  TagDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  DeleteLoadBalancerCommand,
  DeleteTargetGroupCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { aws, awsOrMissing } from '../../aws/errors.ts';
import { allMarkerPages } from '../../aws/pages.ts';
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

/** A target group a cluster's controller made for a load balancer (ELBv2 keeps it after the load balancer). */
export interface FoundTargetGroup {
  arn: string;
  name: string;
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

const allLoadBalancers = (elb: ElasticLoadBalancingV2Client): Promise<LoadBalancer[]> =>
  allMarkerPages(
    'elasticloadbalancing:DescribeLoadBalancers',
    (Marker) => elb.send(new DescribeLoadBalancersCommand({ Marker })),
    (page) => page.LoadBalancers,
  );

const allTargetGroups = (elb: ElasticLoadBalancingV2Client): Promise<TargetGroup[]> =>
  allMarkerPages(
    'elasticloadbalancing:DescribeTargetGroups',
    (Marker) => elb.send(new DescribeTargetGroupsCommand({ Marker })),
    (page) => page.TargetGroups,
  );

/** Of these ELBv2 resources (by ARN), the ones whose tags name one of `clusters`, with that cluster. */
async function ownedBy(
  elb: ElasticLoadBalancingV2Client,
  arns: string[],
  clusters: Set<string>,
): Promise<Map<string, string>> {
  const owned = new Map<string, string>();
  for (let i = 0; i < arns.length; i += TAGS_PER_CALL) {
    const tags = await awsOrMissing(
      'elasticloadbalancing:DescribeTags',
      () => elb.send(new DescribeTagsCommand({ ResourceArns: arns.slice(i, i + TAGS_PER_CALL) })),
      // One deleted since the list: the next look finds the rest.
      'LoadBalancerNotFound',
      'TargetGroupNotFound',
    );
    for (const d of tags?.TagDescriptions ?? []) {
      const cluster = madeBy(d.Tags, clusters);
      if (cluster) owned.set(d.ResourceArn!, cluster);
    }
  }
  return owned;
}

/** The target groups the controllers of these clusters made, in `vpcIds`, with or without a load balancer. */
export async function findTargetGroups(
  deps: Deps,
  region: string,
  clusters: Set<string>,
  vpcIds: string[],
): Promise<FoundTargetGroup[]> {
  if (!clusters.size) return [];
  const elb = deps.aws.elbv2(region);
  const candidates = (await allTargetGroups(elb)).filter((t) => vpcIds.includes(t.VpcId ?? ''));
  const owned = await ownedBy(
    elb,
    candidates.map((t) => t.TargetGroupArn!),
    clusters,
  );
  return candidates
    .filter((t) => owned.has(t.TargetGroupArn!))
    .map((t) => ({
      arn: t.TargetGroupArn!,
      name: t.TargetGroupName!,
      cluster: owned.get(t.TargetGroupArn!)!,
      vpcId: t.VpcId!,
    }));
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

/** Deletes a target group; one already gone is fine. ELBv2 refuses one a listener still uses (ResourceInUse). */
async function deleteTargetGroup(deps: Deps, region: string, tg: FoundTargetGroup): Promise<void> {
  await awsOrMissing(
    'elasticloadbalancing:DeleteTargetGroup',
    () => deps.aws.elbv2(region).send(new DeleteTargetGroupCommand({ TargetGroupArn: tg.arn })),
    'TargetGroupNotFound',
    'TargetGroupNotFoundException',
  );
}

/** "could not delete load balancers a1 (network, demo-iad): AccessDenied ..." for what AWS refused. */
function refusal<T>(kind: string, refused: Array<{ item: T; err: unknown }>, describe: (x: T) => string): string {
  return `could not delete ${kind} ${refused.map(({ item, err }) => `${describe(item)}: ${errorMessage(err)}`).join('; ')}`;
}

/**
 * Deletes load balancers whose controller is gone with its cluster, and waits until their APIs no longer list
 * them (their interfaces, and so their security groups, go with them); then the target groups the same
 * controllers made, which ELBv2 keeps. One that cannot be deleted does not stop the others; the step then fails
 * naming each, with its cluster and AWS's reason.
 */
export async function remove(
  deps: Deps,
  ctx: StepContext,
  region: string,
  lbs: FoundLoadBalancer[],
  targetGroups: FoundTargetGroup[] = [],
): Promise<StepOutcome> {
  const refused: Array<{ item: FoundLoadBalancer; err: unknown }> = [];
  const deleting: FoundLoadBalancer[] = [];
  for (const lb of lbs) {
    try {
      await deleteOne(deps, region, lb);
      deleting.push(lb);
    } catch (err) {
      refused.push({ item: lb, err });
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
  // After their load balancers: a listener that still forwards to one holds it.
  const tgRefused: Array<{ item: FoundTargetGroup; err: unknown }> = [];
  const tgDeleted: string[] = [];
  for (const tg of targetGroups) {
    try {
      await deleteTargetGroup(deps, region, tg);
      tgDeleted.push(tg.name);
    } catch (err) {
      tgRefused.push({ item: tg, err });
    }
  }
  if (refused.length || tgRefused.length) {
    const done = [...deleting.map((l) => l.name), ...tgDeleted];
    const message = [
      refused.length ? refusal('load balancers', refused, describeLoadBalancer) : '',
      tgRefused.length ? refusal('target groups', tgRefused, (t) => `${t.name} (${t.cluster})`) : '',
    ]
      .filter(Boolean)
      .join('; ');
    const errors = [...refused, ...tgRefused].map((r) => r.err);
    const permanent = errors.filter((e) => e instanceof PermanentError);
    const full = `${region}: ${message}${done.length ? `; deleted ${done.join(', ')}` : ''}`;
    // Only when no retry can help (permissions, say) is it permanent; otherwise the next try may succeed.
    if (permanent.length === errors.length)
      throw new PermanentError(full, { code: permanent[0]!.code, hint: permanent[0]!.hint });
    throw new Error(full);
  }
  const names = lbs.map((l) => l.name);
  const out = removedOutcome('load balancers', region, names, names);
  if (!tgDeleted.length) return out;
  const tgs = removedOutcome('target groups', region, tgDeleted, tgDeleted);
  return {
    summary: names.length ? `${out.summary}; ${tgs.summary.slice(region.length + 2)}` : tgs.summary,
    changed: true,
    resources: { ...out.resources, ...tgs.resources },
  };
}

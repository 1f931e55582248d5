// Load balancers that Kubernetes Services of type LoadBalancer made in the mesh's VPCs. meshops never makes one,
// but each outlives its cluster and blocks the VPC: its interfaces sit in the subnets and use its security group
// (DeleteSubnet, DeleteSecurityGroup and DeleteVpc answer DependencyViolation; eksctl issues 253, 616, 7589).
// Found through the ELBv2 API by the tags the controllers put on them: the AWS Load Balancer Controller's
// `elbv2.k8s.aws/cluster: <cluster>`, the in-tree cloud provider's `kubernetes.io/cluster/<cluster>: owned`.
// Classic load balancers (the in-tree provider's default, ELB API) are not looked for yet: their groups
// (`k8s-elb-*`) are removed with the VPC's other leftover groups, but the load balancer itself is not.
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
import type { StepContext, StepOutcome } from '../../steps/step.ts';
import { waitFor } from '../../steps/wait.ts';
import { removedOutcome } from './common.ts';

const GONE_TIMEOUT_MS = 10 * 60_000;
/** DescribeTags takes at most 20 ARNs. */
const TAGS_PER_CALL = 20;

export interface FoundLoadBalancer {
  arn: string;
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

/**
 * The load balancers the controllers of these EKS clusters made, in the region; only those in `vpcIds` when
 * given (a load balancer elsewhere blocks nothing of the mesh).
 */
export async function findForClusters(
  elb: ElasticLoadBalancingV2Client,
  clusters: Set<string>,
  vpcIds?: string[],
): Promise<FoundLoadBalancer[]> {
  if (!clusters.size) return [];
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
      if (cluster && lb)
        found.push({ arn: lb.LoadBalancerArn!, name: lb.LoadBalancerName!, cluster, vpcId: lb.VpcId! });
    }
  }
  return found;
}

/** Waits until the load balancers of these clusters are gone (their Services were deleted; the controller works). */
export async function waitGone(
  deps: Deps,
  ctx: StepContext,
  region: string,
  clusters: Set<string>,
  timeoutMs = GONE_TIMEOUT_MS,
): Promise<void> {
  const elb = deps.aws.elbv2(region);
  await waitFor(ctx, {
    what: `load balancers of ${[...clusters].join(', ')} to be deleted by their controller`,
    intervalMs: deps.pollIntervalMs,
    timeoutMs,
    poll: async () => {
      const left = await findForClusters(elb, clusters);
      return { done: left.length === 0, status: left.map((l) => l.name).join(', ') || 'none left' };
    },
  });
}

/**
 * Deletes load balancers whose controller is gone with its cluster, and waits until ELB no longer lists them
 * (their interfaces, and so their security groups, go with them).
 */
export async function remove(
  deps: Deps,
  ctx: StepContext,
  region: string,
  lbs: FoundLoadBalancer[],
): Promise<StepOutcome> {
  const elb = deps.aws.elbv2(region);
  // ELBv2 answers success for a load balancer already deleted.
  for (const lb of lbs) {
    await aws('elasticloadbalancing:DeleteLoadBalancer', () =>
      elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb.arn })),
    );
  }
  await ctx.checkpoint();
  const arns = lbs.map((l) => l.arn);
  await waitFor(ctx, {
    what: `load balancers ${lbs.map((l) => l.name).join(', ')} to be deleted`,
    intervalMs: deps.pollIntervalMs,
    timeoutMs: GONE_TIMEOUT_MS,
    poll: async () => {
      const out = await awsOrMissing(
        'elasticloadbalancing:DescribeLoadBalancers',
        () => elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: arns })),
        'LoadBalancerNotFound',
        'LoadBalancerNotFoundException',
      );
      const left = out?.LoadBalancers ?? [];
      return { done: left.length === 0, status: left.map((l) => `${l.LoadBalancerName} ${l.State?.Code}`).join(', ') };
    },
  });
  const names = lbs.map((l) => l.name);
  return removedOutcome('load balancers', region, names, names);
}

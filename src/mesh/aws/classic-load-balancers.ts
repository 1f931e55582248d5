// Classic load balancers (the ELB API) that the in-tree cloud provider's service controller made for Services of
// type LoadBalancer: what EKS gives such a Service when the AWS Load Balancer Controller is not installed, or is
// installed with its Service webhook off (enableServiceMutatorWebhook=false). ELBv2 does not list them; only the
// ELB API does. The provider names one `a` + the Service's UID (cloudprovider.DefaultLoadBalancerName) and tags
// it `kubernetes.io/cluster/<cluster>: owned` and `kubernetes.io/service-name: <ns>/<name>`; its security group
// `k8s-elb-<name>` (tagged with the cluster key too) is removed with the VPC's other leftover groups
// (security-groups.ts) once the load balancer is gone (kubernetes/cloud-provider-aws pkg/providers/v1: aws.go,
// aws_loadbalancer.go, tags.go).
import type { ElasticLoadBalancingClient, LoadBalancerDescription } from '@aws-sdk/client-elastic-load-balancing';
import {
  DeleteLoadBalancerCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
} from '@aws-sdk/client-elastic-load-balancing';
import { aws, awsOrMissing } from '../../aws/errors.ts';
import { allMarkerPages } from '../../aws/pages.ts';

/** DescribeTags takes at most 20 names. */
const TAGS_PER_CALL = 20;
/** What the ELB API answers for a name it does not know (the SDK's name, and the code on the wire). */
const NOT_FOUND = ['AccessPointNotFoundException', 'LoadBalancerNotFound'];
const CLUSTER_TAG = /^kubernetes\.io\/cluster\/(.+)$/;

export interface FoundClassic {
  name: string;
  cluster: string;
  vpcId: string;
}

const all = (elb: ElasticLoadBalancingClient): Promise<LoadBalancerDescription[]> =>
  allMarkerPages(
    'elasticloadbalancing:DescribeLoadBalancers',
    (Marker) => elb.send(new DescribeLoadBalancersCommand({ Marker })),
    (page) => page.LoadBalancerDescriptions,
  );

/** The Classic load balancers the in-tree provider of these EKS clusters made, in `vpcIds` when given. */
export async function findClassic(
  elb: ElasticLoadBalancingClient,
  clusters: Set<string>,
  vpcIds?: string[],
): Promise<FoundClassic[]> {
  const candidates = (await all(elb)).filter((lb) => !vpcIds || vpcIds.includes(lb.VPCId ?? ''));
  const found: FoundClassic[] = [];
  for (let i = 0; i < candidates.length; i += TAGS_PER_CALL) {
    const chunk = candidates.slice(i, i + TAGS_PER_CALL);
    const tags = await awsOrMissing(
      'elasticloadbalancing:DescribeTags',
      () => elb.send(new DescribeTagsCommand({ LoadBalancerNames: chunk.map((lb) => lb.LoadBalancerName!) })),
      // One deleted since the list: the next look finds the rest.
      ...NOT_FOUND,
    );
    for (const d of tags?.TagDescriptions ?? []) {
      const cluster = d.Tags?.map((t) => CLUSTER_TAG.exec(t.Key ?? '')?.[1]).find((c) => c && clusters.has(c));
      const lb = chunk.find((x) => x.LoadBalancerName === d.LoadBalancerName);
      if (cluster && lb) found.push({ name: lb.LoadBalancerName!, cluster, vpcId: lb.VPCId ?? '' });
    }
  }
  return found;
}

/** Deletes one by name; the ELB API answers success for a name it does not know. */
export async function deleteClassic(elb: ElasticLoadBalancingClient, name: string): Promise<void> {
  await aws('elasticloadbalancing:DeleteLoadBalancer', () =>
    elb.send(new DeleteLoadBalancerCommand({ LoadBalancerName: name })),
  );
}

/** Whether the ELB API still lists it (asked by name: one unknown name fails the whole call). */
export async function classicExists(elb: ElasticLoadBalancingClient, name: string): Promise<boolean> {
  const out = await awsOrMissing(
    'elasticloadbalancing:DescribeLoadBalancers',
    () => elb.send(new DescribeLoadBalancersCommand({ LoadBalancerNames: [name] })),
    ...NOT_FOUND,
  );
  return (out?.LoadBalancerDescriptions ?? []).length > 0;
}

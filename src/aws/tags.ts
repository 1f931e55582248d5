// The tag contract between up, status and down: everything meshops makes in AWS carries the mesh tag, so it can
// be found again (idempotent up), reported (status) and removed completely (down).
import type { Filter, ResourceType, Tag, TagSpecification } from '@aws-sdk/client-ec2';

export const MESH_TAG = 'meshops:mesh';
export const CLUSTER_TAG = 'meshops:cluster';
export const COMPONENT_TAG = 'meshops:component';
/** On peering connections: the cluster on the accepting side (meshops:cluster is the requester). */
export const PEER_TAG = 'meshops:peer';

export type Component =
  | 'vpc'
  | 'subnet-public'
  | 'subnet-private'
  | 'igw'
  | 'eip'
  | 'nat'
  | 'rtb-public'
  | 'rtb-private'
  | 'peering'
  | 'cluster'
  | 'nodegroup'
  | 'role-cluster'
  | 'role-node';

export interface TagTarget {
  mesh: string;
  cluster?: string;
  component: Component;
  /** Appended to Name for per-AZ resources. */
  az?: string;
  /** Overrides the derived Name (peering connections name both clusters). */
  name?: string;
  extra?: Record<string, string>;
}

/** `<mesh>-<cluster>-<component>[-<az>]` */
export function resourceName(mesh: string, cluster: string | undefined, component: Component, az?: string): string {
  return [mesh, cluster, component, az].filter(Boolean).join('-');
}

export function eksClusterName(mesh: string, cluster: string): string {
  return `${mesh}-${cluster}`;
}

export function nodeGroupName(mesh: string, cluster: string): string {
  return `${mesh}-${cluster}-nodes`;
}

export function clusterRoleName(mesh: string): string {
  return `${mesh}-eks-cluster`;
}

export function nodeRoleName(mesh: string): string {
  return `${mesh}-eks-node`;
}

export function peeringName(mesh: string, a: string, b: string): string {
  return `${mesh}-${a}-${b}-peering`;
}

/** The tags as a plain map (EKS and IAM-style callers convert from this). */
export function tagMap(t: TagTarget): Record<string, string> {
  return {
    [MESH_TAG]: t.mesh,
    ...(t.cluster ? { [CLUSTER_TAG]: t.cluster } : {}),
    [COMPONENT_TAG]: t.component,
    Name: t.name ?? resourceName(t.mesh, t.cluster, t.component, t.az),
    ...t.extra,
  };
}

export function ec2Tags(t: TagTarget): Tag[] {
  return Object.entries(tagMap(t)).map(([Key, Value]) => ({ Key, Value }));
}

/** Tags applied by the create call itself: no window where a crash leaves an untagged (unfindable) resource. */
export function tagSpec(resourceType: ResourceType, t: TagTarget, more: Tag[] = []): TagSpecification[] {
  return [{ ResourceType: resourceType, Tags: [...ec2Tags(t), ...more] }];
}

/** EC2 Describe* filters: the mesh tag, and optionally the cluster, component and Name. */
export function meshFilters(
  mesh: string,
  opts: { cluster?: string; component?: Component; name?: string } = {},
): Filter[] {
  const f: Filter[] = [{ Name: `tag:${MESH_TAG}`, Values: [mesh] }];
  if (opts.cluster) f.push({ Name: `tag:${CLUSTER_TAG}`, Values: [opts.cluster] });
  if (opts.component) f.push({ Name: `tag:${COMPONENT_TAG}`, Values: [opts.component] });
  if (opts.name) f.push({ Name: 'tag:Name', Values: [opts.name] });
  return f;
}

export function tagValue(tags: Tag[] | undefined, key: string): string | undefined {
  return tags?.find((t) => t.Key === key)?.Value;
}

/** IAM wants [{Key, Value}] too, with the same shape as EC2's. */
export function iamTags(t: TagTarget): { Key: string; Value: string }[] {
  return Object.entries(tagMap(t)).map(([Key, Value]) => ({ Key, Value }));
}

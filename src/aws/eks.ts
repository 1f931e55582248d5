// EKS reads that treat "not there" as an answer, not an error.
import { DescribeClusterCommand, DescribeNodegroupCommand, ListClustersCommand, ListNodegroupsCommand } from '@aws-sdk/client-eks';
import type { Cluster, EKSClient, Nodegroup } from '@aws-sdk/client-eks';
import { aws, awsOrMissing } from './errors.ts';
import { MESH_TAG } from './tags.ts';

export async function describeCluster(eks: EKSClient, name: string): Promise<Cluster | undefined> {
  const out = await awsOrMissing('eks:DescribeCluster', () => eks.send(new DescribeClusterCommand({ name })), 'ResourceNotFoundException');
  return out?.cluster;
}

export async function describeNodegroup(eks: EKSClient, clusterName: string, nodegroupName: string): Promise<Nodegroup | undefined> {
  const out = await awsOrMissing(
    'eks:DescribeNodegroup',
    () => eks.send(new DescribeNodegroupCommand({ clusterName, nodegroupName })),
    'ResourceNotFoundException',
  );
  return out?.nodegroup;
}

async function listAll(list: (token?: string) => Promise<{ items?: string[]; next?: string }>): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await list(token);
    out.push(...(page.items ?? []));
    token = page.next;
  } while (token);
  return out;
}

/** The EKS clusters in a region tagged with the mesh (any name: a cluster dropped from the spec still counts). */
export async function findMeshClusters(eks: EKSClient, mesh: string): Promise<Cluster[]> {
  const names = await listAll(async (nextToken) => {
    const r = await aws('eks:ListClusters', () => eks.send(new ListClustersCommand({ nextToken })));
    return { items: r.clusters, next: r.nextToken };
  });
  const clusters = await Promise.all(names.map((n) => describeCluster(eks, n)));
  return clusters.filter((c): c is Cluster => !!c && c.tags?.[MESH_TAG] === mesh);
}

export async function listNodegroups(eks: EKSClient, clusterName: string): Promise<string[]> {
  return listAll(async (nextToken) => {
    const r = await awsOrMissing('eks:ListNodegroups', () => eks.send(new ListNodegroupsCommand({ clusterName, nextToken })), 'ResourceNotFoundException');
    return { items: r?.nodegroups, next: r?.nextToken };
  });
}

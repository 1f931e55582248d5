// What a job talks to, built once from configuration and injected (eksctl's awsapi, probot's options):
// the same jobs run against AWS and real clusters, or the sandbox.
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { EKSClient } from '@aws-sdk/client-eks';
import type { ElasticLoadBalancingClient } from '@aws-sdk/client-elastic-load-balancing';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { STSClient } from '@aws-sdk/client-sts';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Clock } from './clock.ts';
import type { ClusterSpec, MeshSpec } from './config/spec-types.ts';

export interface AwsClients {
  ec2(region: string): EC2Client;
  eks(region: string): EKSClient;
  /** Load balancers (ELBv2) Kubernetes Services leave in the clusters' VPCs, for down. */
  elbv2(region: string): ElasticLoadBalancingV2Client;
  /** Classic load balancers (the ELB API; ELBv2 does not list them), the in-tree cloud provider's, for down. */
  elb(region: string): ElasticLoadBalancingClient;
  /** IAM is global. */
  iam(): IAMClient;
  /** Who the worker is (GetCallerIdentity), for its EKS access entries. */
  sts(): STSClient;
}

export interface KubeAccess {
  /**
   * A KubeConfig for the cluster, from DescribeCluster's endpoint and CA and an EKS token minted from the
   * worker's own AWS credentials; renewed before the token expires. No kubeconfig on disk.
   */
  forCluster(cluster: ClusterSpec): Promise<KubeConfig>;
  /**
   * What EKS has just said of the cluster's endpoint and CA (the control plane's wait ends on a DescribeCluster):
   * the next forCluster, moments later, uses it instead of asking again.
   */
  heard?(cluster: ClusterSpec, endpoint: { endpoint: string; caData: string }): void;
}

/** Calico Enterprise / Cloud credentials from configuration (never in job data, never logged). */
export interface CalicoCredentials {
  /** Calico Enterprise: the LicenseKey manifest (YAML) Tigera issued. */
  enterpriseLicense?: string;
  /** Calico Enterprise: the .dockerconfigjson of the pull secret for Tigera's registry. */
  enterprisePullSecret?: string;
  /** Calico Cloud: the operator installer manifest URL and the managed-cluster join URL. */
  cloudInstallerUrl?: string;
  cloudJoinUrl?: string;
  /** Calico Cloud: the join token of each cluster, by the spec's cluster name (each is minted for one cluster). */
  cloudTokens?: Record<string, string>;
}

export interface Deps {
  spec: MeshSpec;
  aws: AwsClients;
  kube: KubeAccess;
  calico: CalicoCredentials;
  clock: Clock;
  log: Logger;
  /** How often waits poll AWS (30 s in production; shorter in the sandbox). */
  pollIntervalMs: number;
  /**
   * How often waits poll the clusters' API servers (2 s in production). Reads there cost no AWS rate limit, and
   * kubectl wait would watch instead: at AWS's interval each Kubernetes wait after the node group (nodes, Calico,
   * tokens, Typha, pings) added up to one AWS interval to up. Unset: pollIntervalMs.
   */
  kubePollIntervalMs?: number;
  /** How long a `/mesh up` plan's Apply button stays valid (default 5 minutes). */
  confirmTtlMs?: number;
}

/** The interval of a wait on a cluster's API server (see Deps.kubePollIntervalMs). */
export function kubePollMs(deps: Pick<Deps, 'pollIntervalMs' | 'kubePollIntervalMs'>): number {
  return deps.kubePollIntervalMs ?? deps.pollIntervalMs;
}

// The seams between the sandbox's parts: the AWS gateway, the Kubernetes stand-ins and their controllers.
// Sandbox only; the product never imports anything under sandbox/.

import type { CalicoCloudService } from './calico/cloud-service.ts';
import type { PodLogStore } from './kube/logs.ts';
import type { ObjectStore } from './kube/store.ts';

/** Durations of the simulated cloud, in milliseconds (already multiplied by the profile's time scale). */
export interface TimeProfile {
  name: 'fast' | 'real' | string;
  clusterCreateMs: number;
  clusterDeleteMs: number;
  nodegroupCreateMs: number;
  nodegroupUpdateMs: number;
  nodegroupDeleteMs: number;
  natCreateMs: number;
  natDeleteMs: number;
  /** A new node becomes Ready this long after it appears (with a working CNI). */
  nodeReadyMs: number;
  /** A pod becomes Ready this long after it is scheduled on a Ready node. */
  podReadyMs: number;
  /** calico-system components become Available this long after the Installation is applied. */
  calicoReadyMs: number;
  /** A RemoteClusterConfiguration syncs this long after its preconditions hold. */
  federationSyncMs: number;
}

/** What the EKS control plane of one simulated cluster sits in, as the gateway knows it from moto. */
export interface ClusterPlacement {
  name: string;
  region: string;
  accountId: string;
  vpcId: string;
  subnetIds: string[];
  clusterSecurityGroupId: string;
  kubernetesVersion: string;
}

export interface NodeGroupShape {
  name: string;
  desiredSize: number;
  instanceType: string;
  subnetIds: string[];
}

/** Implemented by the Kubernetes side; called by the AWS gateway as EKS state changes. */
export interface ClusterHost {
  /** Starts the API stand-in for a cluster that just became ACTIVE; returns what DescribeCluster shows. */
  startCluster(placement: ClusterPlacement): Promise<{ endpoint: string; caPem: string }>;
  stopCluster(region: string, name: string): Promise<void>;
  /** Nodes follow this: called on CreateNodegroup (when ACTIVE) and on every resize. */
  setNodeGroup(region: string, cluster: string, shape: NodeGroupShape): void;
  deleteNodeGroup(region: string, cluster: string, nodegroup: string): void;
}

/** Implemented by the AWS gateway; the API stand-ins ask it whether an EKS bearer token is good. */
export type EksTokenVerifier = (
  token: string,
  clusterName: string,
) => Promise<{ ok: true; arn: string } | { ok: false; reason: string }>;

/** An API resource the stand-in serves (built in, from a CRD, or registered by a simulated API server). */
export interface ApiResourceDef {
  group: string;
  version: string;
  kind: string;
  /** Plural, lower case: the URL segment. */
  plural: string;
  singular?: string;
  namespaced: boolean;
  shortNames?: string[];
  /** e.g. ['status', 'scale'] */
  subresources?: string[];
}

/** The stand-in's table of served resources; the Calico API server simulation adds projectcalico.org/v3 here. */
export interface ApiRegistry {
  register(def: ApiResourceDef): void;
  unregister(group: string, version: string, plural: string): void;
  find(group: string, kind: string): ApiResourceDef | undefined;
}

/** Who a request is, once authenticated. */
export interface UserInfo {
  username: string;
  groups: string[];
}

export interface AccessRequest {
  verb: string;
  group: string;
  /** Plural resource, with '/subresource' when there is one (e.g. 'pods/log'). */
  resource: string;
  namespace?: string;
  name?: string;
}

/** What one API stand-in exposes to its controllers. */
export interface SimClusterHandle {
  placement: ClusterPlacement;
  store: ObjectStore;
  logs: PodLogStore;
  api: ApiRegistry;
  /** RBAC evaluation, as the API server does it (used by the federation simulation for calico-typha's rights). */
  authorize(user: UserInfo, req: AccessRequest): boolean;
  endpoint: string;
  caPem: string;
  /** How many exec requests the API server accepted, all or of one command (`ping`): tests count them. */
  execCount?(command?: string): number;
}

/** What a command run in a container printed. */
export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}
export type ExecHandler = (req: {
  namespace: string;
  pod: string;
  container?: string;
  command: string[];
}) => Promise<ExecResult>;
/** What a container answers on a port (GET), as the API server's pod proxy reaches it; undefined: nothing listens. */
export type PodHttpHandler = (req: {
  namespace: string;
  pod: string;
  port: number;
  path: string;
}) => Promise<{ status: number; body: string; contentType?: string } | undefined>;

/** What controllers get from the world around their cluster. */
export interface ControllerEnv {
  profile: TimeProfile;
  /** moto's own endpoint (no gateway faults), for the network model to read VPCs, routes, peerings and rules. */
  motoEndpoint: string;
  /** Every live simulated cluster, in every region: the network model resolves remote pods through them. */
  clusters(): SimClusterHandle[];
  /**
   * Whether the AWS Load Balancer Controller runs in the clusters (default true). Without it the in-tree cloud
   * provider serves LoadBalancer Services with Classic ELBs (sandbox/kube/controllers/load-balancers.ts).
   */
  loadBalancerController?: boolean;
  /** Calico Cloud, as the installer in a cluster reaches it to register (absent: Calico Cloud is unreachable). */
  calicoCloud?: Pick<CalicoCloudService, 'register'>;
}

/** The controllers running inside one stand-in. */
export interface ClusterControllers {
  setNodeGroup(shape: NodeGroupShape): void;
  deleteNodeGroup(name: string): void;
  /** Answers exec requests (ping in netshoot, and a few shell basics). */
  exec: ExecHandler;
  /** Pods' HTTP ports, for pods/proxy. */
  http?: PodHttpHandler;
  stop(): void;
}

export type InstallControllers = (handle: SimClusterHandle, env: ControllerEnv) => ClusterControllers;

// The validated mesh spec (infra/mesh.yaml). Plain data: it travels in job payloads as JSON.

export type CalicoVariant = 'enterprise' | 'cloud' | 'oss';
export const CALICO_ENCAPSULATIONS = ['VXLAN', 'VXLANCrossSubnet', 'IPIP', 'IPIPCrossSubnet', 'None'] as const;
export type CalicoEncapsulation = (typeof CALICO_ENCAPSULATIONS)[number];

export interface NodeGroupSpec {
  instanceType: string;
  desiredSize: number;
  minSize: number;
  maxSize: number;
  diskSizeGiB: number;
  sshKeyName?: string;
}

export interface ClusterSpec {
  /** DNS label; names the EKS cluster, the StatefulSet `multi-cluster-rs-<name>` and the RemoteClusterConfiguration. */
  name: string;
  region: string;
  vpcCidr: string;
  podCidr: string;
  /** The two AZs for subnets; when absent, the first two the region offers. */
  availabilityZones?: string[];
  nodeGroup: NodeGroupSpec;
}

export interface CalicoSpec {
  version: string;
  variant: CalicoVariant;
  encapsulation: CalicoEncapsulation;
  manifestBaseUrl: string;
  flowLogs?: { flushIntervalSeconds: number };
}

export interface WorkloadSpec {
  namespace: string;
  replicas: number;
  maxReplicas: number;
  image: string;
  netshootImage: string;
}

export interface MeshSpec {
  name: string;
  kubernetesVersion: string;
  calico: CalicoSpec;
  workloads: WorkloadSpec;
  clusters: ClusterSpec[];
}

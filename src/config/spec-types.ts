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
  /** The two AZs for subnets, by name (names differ per account); prefer availabilityZoneIds. */
  availabilityZones?: string[];
  /** The two AZs for subnets, by zone ID (use1-az1: the same physical zone in every account). When neither is
   * given, the first two zones that EKS supports and that offer the node group's instance type. */
  availabilityZoneIds?: string[];
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
  /** Pinned EKS version ("1.35"); absent: the newest in standard support when a cluster is created. */
  kubernetesVersion?: string;
  /**
   * upgradePolicy.supportType of new clusters: `extended` keeps a version past standard support (billed at the
   * extended price), `standard` lets EKS upgrade it then. Default extended (EKS's own default, set explicitly).
   */
  kubernetesSupport?: 'extended' | 'standard';
  calico: CalicoSpec;
  workloads: WorkloadSpec;
  clusters: ClusterSpec[];
}

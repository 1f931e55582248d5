// What the gateway knows about EKS beyond moto: each cluster's and node group's place on its timeline,
// the parts of the API moto drops (accessConfig, the cluster security group, updates), and a last copy of
// what is being deleted (moto forgets at once; EKS shows DELETING for minutes).
export type ClusterStatus = 'CREATING' | 'ACTIVE' | 'UPDATING' | 'DELETING' | 'FAILED';
export type NodegroupStatus = 'CREATING' | 'ACTIVE' | 'UPDATING' | 'DELETING' | 'CREATE_FAILED' | 'DEGRADED';

export interface AccessConfig {
  authenticationMode: 'API' | 'API_AND_CONFIG_MAP' | 'CONFIG_MAP';
  bootstrapClusterCreatorAdminPermissions: boolean;
}

export interface ClusterRecord {
  region: string;
  name: string;
  status: ClusterStatus;
  /** When CreateCluster came in, on the gateway's timeline: CREATING lasts the profile's time from then. */
  requestedAt?: number;
  version: string;
  /** upgradePolicy.supportType: EXTENDED (EKS's default) or STANDARD. */
  supportType?: 'STANDARD' | 'EXTENDED';
  accessConfig: AccessConfig;
  vpcId: string;
  subnetIds: string[];
  securityGroupIds: string[];
  clusterSecurityGroupId: string;
  endpointPublicAccess: boolean;
  endpointPrivateAccess: boolean;
  publicAccessCidrs: string[];
  /** kubernetesNetworkConfig.ipFamily (EKS's default ipv4): an IPv4 cluster's endpoint takes no IPv6 block. */
  ipFamily?: 'ipv4' | 'ipv6';
  /** Set once the Kubernetes stand-in runs (ACTIVE). */
  endpoint?: string;
  caPem?: string;
  /** The last DescribeCluster body, served while DELETING. */
  ghost?: Record<string, any>;
  nodegroups: Map<string, NodegroupRecord>;
  updates: Map<string, UpdateRecord>;
  /** The IAM principal that created the cluster (an assumed role as its role ARN). */
  creatorArn?: string;
  /** EKS access entries by principal ARN. */
  accessEntries?: Map<string, AccessEntryRecord>;
}

export interface AccessEntryRecord {
  principalArn: string;
  createdAt: Date;
  /** Associated access policies by policy ARN. */
  policies: Map<string, { accessScope: { type: string; namespaces?: string[] }; associatedAt: Date }>;
}

export interface NodegroupRecord {
  name: string;
  status: NodegroupStatus;
  /** When CreateNodegroup came in, on the gateway's timeline. */
  requestedAt?: number;
  desiredSize: number;
  instanceType: string;
  subnets: string[];
  /** EKS's health.issues (e.g. a launch failure while DEGRADED). */
  issues?: Array<{ code: string; message: string; resourceIds?: string[] }>;
  ghost?: Record<string, any>;
}

export interface UpdateRecord {
  id: string;
  nodegroupName?: string;
  status: 'InProgress' | 'Successful' | 'Failed' | 'Cancelled';
  type: string;
  params: Array<{ type: string; value: string }>;
  createdAt: Date;
}

export class EksRecords {
  private readonly clusters = new Map<string, ClusterRecord>();

  get(region: string, name: string): ClusterRecord | undefined {
    return this.clusters.get(`${region}/${name}`);
  }
  put(record: ClusterRecord): void {
    this.clusters.set(`${record.region}/${record.name}`, record);
  }
  remove(region: string, name: string): void {
    this.clusters.delete(`${region}/${name}`);
  }
  inRegion(region: string): ClusterRecord[] {
    return [...this.clusters.values()].filter((c) => c.region === region);
  }
  /** Clusters of this name in any region (a Kubernetes stand-in knows its cluster by name). */
  named(name: string): ClusterRecord[] {
    return [...this.clusters.values()].filter((c) => c.name === name);
  }
  all(): ClusterRecord[] {
    return [...this.clusters.values()];
  }
}

/** moto's cluster JSON, made to look like EKS's at this point of the cluster's life. */
export function presentCluster(record: ClusterRecord, moto: Record<string, any>): Record<string, any> {
  const cluster: Record<string, any> = { ...moto, status: record.status, version: record.version };
  cluster.resourcesVpcConfig = {
    subnetIds: record.subnetIds,
    securityGroupIds: record.securityGroupIds,
    clusterSecurityGroupId: record.clusterSecurityGroupId,
    vpcId: record.vpcId,
    endpointPublicAccess: record.endpointPublicAccess,
    endpointPrivateAccess: record.endpointPrivateAccess,
    publicAccessCidrs: record.publicAccessCidrs,
  };
  cluster.accessConfig = { ...record.accessConfig };
  cluster.upgradePolicy = { supportType: record.supportType ?? 'EXTENDED' };
  cluster.health = { issues: [] };
  if (record.endpoint !== undefined) {
    cluster.endpoint = record.endpoint;
    cluster.certificateAuthority = { data: Buffer.from(record.caPem ?? '').toString('base64') };
  } else {
    // EKS has no endpoint and no CA until the control plane is up.
    delete cluster.endpoint;
    cluster.certificateAuthority = {};
  }
  return cluster;
}

export function presentNodegroup(
  cluster: ClusterRecord,
  ng: NodegroupRecord,
  moto: Record<string, any>,
): Record<string, any> {
  // moto reports Kubernetes 1.19 for every node group; EKS uses the cluster's version.
  return { ...moto, status: ng.status, version: cluster.version, health: { issues: ng.issues ?? [] } };
}

export function presentUpdate(u: UpdateRecord): Record<string, any> {
  return {
    id: u.id,
    status: u.status,
    type: u.type,
    params: u.params,
    createdAt: u.createdAt.getTime() / 1000,
    errors: [],
  };
}

// Failed resources on demand, for tests of what a user sees when AWS gives up on one: an EKS cluster that goes
// FAILED instead of ACTIVE, a managed node group that goes CREATE_FAILED, a NAT gateway that goes `failed`, a
// VPC peering that is `rejected` or `expired` before it is accepted. The create call answers as usual
// (CREATING / pending); shortly before its create time is up the EKS resource turns failed, so the activation
// that would have started the Kubernetes stand-in or the nodes finds it no longer CREATING and does nothing, as
// on EKS. Hooks the gateway's EKS records and its EC2 simulations; nothing changes until a test asks.
import type { TimeProfile } from '../contracts.ts';
import type { NatFailure } from './ec2-nat.ts';
import type { PeeringFailure } from './ec2-peering.ts';
import type { ClusterRecord, EksRecords, NodegroupRecord } from './eks-records.ts';
import type { Gateway } from './gateway.ts';

/** EKS's health issue on a node group whose instances never joined (the usual CREATE_FAILED). */
const NODES_DID_NOT_JOIN = {
  code: 'NodeCreationFailure',
  message: 'Instances failed to join the kubernetes cluster',
};

export interface ResourceFailures {
  /** The next cluster created with this EKS name goes FAILED when it would have gone ACTIVE. */
  clusterFails(eksName: string): void;
  /** The next node group created in this EKS cluster goes CREATE_FAILED when it would have gone ACTIVE. */
  nodegroupFails(eksClusterName: string, issue?: { code: string; message: string }): void;
  /** The next NAT gateway created in this region goes `failed` (by default for want of free addresses in its subnet). */
  natFails(region: string, failure?: NatFailure): void;
  /** The next VPC peering requested reads `rejected` or `expired` before it can be accepted. */
  peeringFails(status: PeeringFailure): void;
  clear(): void;
}

/** One of the reasons EC2 documents for a failed NAT gateway (NatGateway.FailureCode / FailureMessage). */
const NO_FREE_ADDRESSES: NatFailure = {
  code: 'InsufficientFreeAddressesInSubnet',
  message: 'Subnet has insufficient free addresses to create this NAT gateway',
};

export function hookResourceFailures(
  gateway: Pick<Gateway, 'eks' | 'nat' | 'peerings' | 'timeline'>,
  profile: TimeProfile,
): ResourceFailures {
  const records: EksRecords = gateway.eks;
  const clusters = new Set<string>();
  const nodegroups = new Map<string, { code: string; message: string }>();
  const put = records.put.bind(records);
  records.put = (record: ClusterRecord) => {
    put(record);
    if (record.status === 'CREATING' && clusters.delete(record.name)) {
      failBefore(record, profile.clusterCreateMs, 'FAILED', gateway.timeline.now);
    }
    const set = record.nodegroups.set.bind(record.nodegroups);
    record.nodegroups.set = (name: string, ng: NodegroupRecord) => {
      const issue = nodegroups.get(record.name);
      if (issue && ng.status === 'CREATING') {
        nodegroups.delete(record.name);
        ng.issues = [{ ...issue, resourceIds: [] }];
        failBefore(ng, profile.nodegroupCreateMs, 'CREATE_FAILED', gateway.timeline.now);
      }
      return set(name, ng);
    };
  };
  return {
    clusterFails: (name) => void clusters.add(name),
    nodegroupFails: (cluster, issue = NODES_DID_NOT_JOIN) => void nodegroups.set(cluster, issue),
    natFails: (region, failure = NO_FREE_ADDRESSES) => gateway.nat.failNext(region, failure),
    peeringFails: (status) => gateway.peerings.failNext(status),
    clear: () => {
      clusters.clear();
      nodegroups.clear();
      gateway.nat.clear();
      gateway.peerings.clear();
    },
  };
}

/**
 * From 90% of the create time on (on the gateway's timeline, from the create request, as the activation counts),
 * the record reads `failed` unless something set another status since (a delete): the activation timer, due at
 * 100%, then sees a resource that is no longer CREATING.
 */
function failBefore(
  record: { status: string; requestedAt?: number },
  createMs: number,
  failed: string,
  now: () => number,
): void {
  const failAt = (record.requestedAt ?? now()) + Math.floor(createMs * 0.9);
  let explicit: string | undefined;
  const initial = record.status;
  Object.defineProperty(record, 'status', {
    configurable: true,
    enumerable: true,
    get: () => explicit ?? (now() >= failAt ? failed : initial),
    set: (value: string) => {
      explicit = value;
    },
  });
}

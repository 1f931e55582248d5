// Nodes follow the EKS managed node group: one Node per instance, in the group's subnets. A node turns Ready
// once its kubelet is up (profile.nodeReadyMs) and a CNI works on it: the aws-node DaemonSet, or calico-node
// running Ready on that node. Without either the kubelet reports NetworkReady=false, as on a real EKS node.
import { randomBytes } from 'node:crypto';
import type { NodeGroupShape } from '../../contracts.ts';
import type { KubeObject } from '../store.ts';
import type { AwsReads, SubnetInfo } from './aws-reads.ts';
import { isPodReady } from './pod-status.ts';
import type { ControllerContext, Reconciler } from './runtime.ts';
import { calicoIsCni } from './tigera-operator.ts';
import { intToIp, isoNow, parseCidr } from './util.ts';

interface InstanceShape {
  cpu: string;
  memoryKi: number;
  pods: number;
}

// Max pods are the VPC CNI's ENI limits, which is what EKS's bootstrap sets even after Calico replaces it.
const instanceShapes: Record<string, InstanceShape> = {
  't3.medium': { cpu: '2', memoryKi: 3955652, pods: 17 },
  't3.large': { cpu: '2', memoryKi: 8047524, pods: 35 },
  'm5.large': { cpu: '2', memoryKi: 7910348, pods: 29 },
  'm5.xlarge': { cpu: '4', memoryKi: 15918668, pods: 58 },
  'm5.2xlarge': { cpu: '8', memoryKi: 32301700, pods: 58 },
  'm6i.large': { cpu: '2', memoryKi: 7910348, pods: 29 },
  'm6i.xlarge': { cpu: '4', memoryKi: 15918668, pods: 58 },
  'c5.xlarge': { cpu: '4', memoryKi: 7775912, pods: 58 },
};

export interface NodeRecord {
  name: string;
  nodegroup: string;
  ip: string;
  subnetId: string;
  subnetCidr: string;
  az: string;
  createdAt: number;
  /** The VPC CNI wrote its config on this node (aws-node ran here); it stays after the DaemonSet is deleted. */
  awsCniInstalled: boolean;
}

export function nodeHostname(ip: string, region: string): string {
  const dashed = `ip-${ip.replaceAll('.', '-')}`;
  return region === 'us-east-1' ? `${dashed}.ec2.internal` : `${dashed}.${region}.compute.internal`;
}

export class NodeController implements Reconciler {
  readonly name = 'nodes';
  private readonly groups = new Map<string, NodeGroupShape>();
  private readonly subnets = new Map<string, SubnetInfo[]>();
  readonly records = new Map<string, NodeRecord>();
  private readonly aws: AwsReads;
  private readonly ctx: ControllerContext;

  constructor(ctx: ControllerContext, aws: AwsReads) {
    this.ctx = ctx;
    this.aws = aws;
  }

  setNodeGroup(shape: NodeGroupShape): void {
    this.groups.set(shape.name, structuredClone(shape));
    this.loadSubnets(shape, 0);
  }

  /** Reads the group's subnets from moto, retrying a few times (moto may be busy or still starting). */
  private loadSubnets(shape: NodeGroupShape, attempt: number): void {
    this.aws
      .subnetInfo(shape.subnetIds)
      .then((infos) => {
        this.subnets.set(shape.name, infos);
        this.ctx.kick();
      })
      .catch((err) => {
        if (this.ctx.isStopped || this.groups.get(shape.name)?.subnetIds.join() !== shape.subnetIds.join()) return;
        if (attempt >= 5) {
          console.error(
            `[sandbox ${this.ctx.handle.placement.name}] reading subnets of node group ${shape.name}:`,
            err,
          );
          return;
        }
        setTimeout(() => this.loadSubnets(shape, attempt + 1), 500 * (attempt + 1));
      });
  }

  deleteNodeGroup(name: string): void {
    this.groups.delete(name);
    this.subnets.delete(name);
    this.ctx.kick();
  }

  /** Whether pods can start on the node at all (the kubelet has registered and runs). */
  kubeletUp(nodeName: string, now: number): boolean {
    const rec = this.records.get(nodeName);
    return !!rec && now >= rec.createdAt + this.ctx.env.profile.nodeReadyMs;
  }

  /** Whether a CNI plugin is initialised on the node. */
  cniReady(nodeName: string): boolean {
    if (this.records.get(nodeName)?.awsCniInstalled) return true;
    return this.calicoReady(nodeName);
  }

  /** calico-node runs Ready on the node: Calico's CNI config is in place and wins over the VPC CNI's. */
  calicoReady(nodeName: string): boolean {
    if (!calicoIsCni(this.ctx.store.get('operator.tigera.io', 'Installation', undefined, 'default'))) return false;
    return this.ctx.store
      .list('', 'Pod', 'calico-system')
      .some(
        (p) =>
          p.metadata.labels?.['k8s-app'] === 'calico-node' &&
          (p.spec as { nodeName?: string })?.nodeName === nodeName &&
          isPodReady(p),
      );
  }

  reconcile(ctx: ControllerContext): void {
    const now = ctx.now();
    // Membership: add or remove nodes to match each group's desired size.
    for (const [groupName, shape] of this.groups) {
      const infos = this.subnets.get(groupName);
      if (!infos || infos.length === 0) continue;
      const mine = [...this.records.values()]
        .filter((r) => r.nodegroup === groupName)
        .sort((a, b) => a.createdAt - b.createdAt);
      for (let i = mine.length; i < shape.desiredSize; i++) this.addNode(shape, infos, i, now);
      // Scale-in takes the newest instances first.
      for (let i = mine.length - 1; i >= shape.desiredSize; i--) this.removeNode(mine[i].name);
    }
    for (const rec of [...this.records.values()]) if (!this.groups.has(rec.nodegroup)) this.removeNode(rec.name);

    const awsNode = !!ctx.store.get('apps', 'DaemonSet', 'kube-system', 'aws-node');
    for (const rec of this.records.values()) {
      if (awsNode && this.kubeletUp(rec.name, now)) rec.awsCniInstalled = true;
      this.updateStatus(rec, now);
    }
  }

  private addNode(shape: NodeGroupShape, infos: SubnetInfo[], index: number, now: number): void {
    const region = this.ctx.handle.placement.region;
    const subnet = infos[index % infos.length];
    const ip = this.freeIp(subnet.cidr);
    const name = nodeHostname(ip, region);
    const rec: NodeRecord = {
      name,
      nodegroup: shape.name,
      ip,
      subnetId: subnet.subnetId,
      subnetCidr: subnet.cidr,
      az: subnet.az,
      createdAt: now,
      awsCniInstalled: false,
    };
    this.records.set(name, rec);
    const it = instanceShapes[shape.instanceType] ?? { cpu: '2', memoryKi: 7910348, pods: 29 };
    const version = this.ctx.handle.placement.kubernetesVersion || '1.34';
    const capacity = {
      cpu: it.cpu,
      memory: `${it.memoryKi}Ki`,
      pods: String(it.pods),
      'ephemeral-storage': '104845292Ki',
    };
    const allocatable = {
      cpu: `${Number(it.cpu) * 1000 - 70}m`,
      memory: `${it.memoryKi - 1000000}Ki`,
      pods: String(it.pods),
      'ephemeral-storage': '95551679124',
    };
    const node: KubeObject = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        labels: {
          'beta.kubernetes.io/arch': 'amd64',
          'beta.kubernetes.io/instance-type': shape.instanceType,
          'beta.kubernetes.io/os': 'linux',
          'eks.amazonaws.com/capacityType': 'ON_DEMAND',
          'eks.amazonaws.com/nodegroup': shape.name,
          'eks.amazonaws.com/nodegroup-image': `ami-0${randomBytes(8).toString('hex').slice(0, 16)}`,
          'failure-domain.beta.kubernetes.io/region': region,
          'failure-domain.beta.kubernetes.io/zone': subnet.az,
          'k8s.io/cloud-provider-aws': randomBytes(16).toString('hex'),
          'kubernetes.io/arch': 'amd64',
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          'node.kubernetes.io/instance-type': shape.instanceType,
          'topology.k8s.aws/zone-id': subnet.azId,
          'topology.kubernetes.io/region': region,
          'topology.kubernetes.io/zone': subnet.az,
        },
        annotations: {
          'alpha.kubernetes.io/provided-node-ip': ip,
          'node.alpha.kubernetes.io/ttl': '0',
          'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
        },
      },
      spec: {
        providerID: `aws:///${subnet.az}/i-0${randomBytes(8).toString('hex').slice(0, 16)}`,
        taints: [
          { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
          { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute', timeAdded: isoNow(now) },
        ],
      },
      status: {
        addresses: [
          { type: 'InternalIP', address: ip },
          { type: 'InternalDNS', address: name },
          { type: 'Hostname', address: name },
        ],
        capacity,
        allocatable,
        daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
        nodeInfo: {
          architecture: 'amd64',
          bootID: crypto.randomUUID(),
          containerRuntimeVersion: 'containerd://1.7.27',
          kernelVersion: '6.12.37-61.105.amzn2023.x86_64',
          kubeProxyVersion: `v${version}.2-eks-b707fbb`,
          kubeletVersion: `v${version}.2-eks-b707fbb`,
          machineID: randomBytes(16).toString('hex'),
          operatingSystem: 'linux',
          osImage: 'Amazon Linux 2023.8.20250915',
          systemUUID: crypto.randomUUID(),
        },
        conditions: [],
      },
    };
    this.ctx.store.create(node);
    this.ctx.wakeAt(now + this.ctx.env.profile.nodeReadyMs);
  }

  private freeIp(cidr: string): string {
    const { base, size } = parseCidr(cidr);
    const used = new Set([...this.records.values()].map((r) => r.ip));
    for (let attempt = 0; attempt < 1000; attempt++) {
      // AWS reserves the first four and the last address of every subnet.
      const ip = intToIp(base + 4 + Math.floor(Math.random() * (size - 5)));
      if (!used.has(ip)) return ip;
    }
    throw new Error(`subnet ${cidr} is full`);
  }

  private removeNode(name: string): void {
    this.records.delete(name);
    this.ctx.deleteIfExists('', 'Node', undefined, name);
    // Pod garbage collection: pods bound to a node that no longer exists are deleted; their owners recreate them.
    for (const pod of this.ctx.store.list('', 'Pod')) {
      if ((pod.spec as { nodeName?: string })?.nodeName === name) {
        this.ctx.deleteIfExists('', 'Pod', pod.metadata.namespace, pod.metadata.name);
      }
    }
  }

  private updateStatus(rec: NodeRecord, now: number): void {
    const kubelet = this.kubeletUp(rec.name, now);
    const cni = this.cniReady(rec.name);
    const ready = kubelet && cni;
    let reason = 'KubeletReady';
    let message = 'kubelet is posting ready status';
    if (!kubelet) {
      reason = 'KubeletNotReady';
      message =
        '[container runtime status check may not have completed yet, PLEG is not healthy: pleg has yet to be successful]';
      this.ctx.wakeAt(rec.createdAt + this.ctx.env.profile.nodeReadyMs);
    } else if (!cni) {
      reason = 'KubeletNotReady';
      message =
        'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized';
    }
    this.ctx.patchIfChanged({ apiVersion: 'v1', kind: 'Node', metadata: { name: rec.name } }, (node) => {
      const status = node.status as { conditions: Array<Record<string, string>> };
      const stamp = isoNow(now);
      const prev = status.conditions.find((c) => c.type === 'Ready');
      const readyStatus = ready ? 'True' : 'False';
      const changed = !prev || prev.status !== readyStatus || prev.reason !== reason || prev.message !== message;
      const transition = prev && prev.status === readyStatus ? prev.lastTransitionTime : stamp;
      const pressure = (type: string, r: string, m: string) => {
        const p = status.conditions.find((c) => c.type === type);
        return (
          p ?? { type, status: 'False', lastHeartbeatTime: stamp, lastTransitionTime: stamp, reason: r, message: m }
        );
      };
      status.conditions = [
        pressure('MemoryPressure', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        pressure('DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        pressure('PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        changed
          ? {
              type: 'Ready',
              status: readyStatus,
              lastHeartbeatTime: stamp,
              lastTransitionTime: transition,
              reason,
              message,
            }
          : prev,
      ];
      const spec = node.spec as { taints?: Array<Record<string, string>> };
      const others = (spec.taints ?? []).filter((t) => t.key !== 'node.kubernetes.io/not-ready');
      if (ready) {
        spec.taints = others.length ? others : undefined;
        if (!spec.taints) delete spec.taints;
      } else {
        const existing = (spec.taints ?? []).filter((t) => t.key === 'node.kubernetes.io/not-ready');
        spec.taints = [
          ...others,
          ...(existing.length
            ? existing
            : [
                { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
                { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute', timeAdded: stamp },
              ]),
        ];
      }
    });
  }
}

export function isNodeReady(node: KubeObject): boolean {
  const conds = (node.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? [];
  return conds.some((c) => c.type === 'Ready' && c.status === 'True');
}

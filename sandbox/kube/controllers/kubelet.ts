// The scheduler and the kubelets: binds pending pods to nodes whose taints they tolerate, then starts them
// once the node can run them (kubelet up; a CNI for pods outside the host network), and marks them Ready
// profile.podReadyMs later. Pod IPs come from Calico's pool when Calico is the node's CNI, else from the VPC.

import { randomBytes } from 'node:crypto';
import type { KubeObject } from '../store.ts';
import type { NodeController } from './nodes.ts';
import { isNodeReady } from './nodes.ts';
import { podSpec, podStatus, tolerates } from './pod-status.ts';
import type { ControllerContext, Reconciler } from './runtime.ts';
import { intToIp, isoNow, matchesMap, parseCidr } from './util.ts';

export class Kubelet implements Reconciler {
  readonly name = 'kubelet';
  private readonly nodes: NodeController;

  constructor(nodes: NodeController) {
    this.nodes = nodes;
  }

  reconcile(ctx: ControllerContext): void {
    const now = ctx.now();
    const nodes = ctx.store.list('', 'Node');
    const pods = ctx.store.list('', 'Pod');
    const usedIps = new Set(pods.map((p) => podStatus(p).podIP).filter((ip): ip is string => !!ip));
    for (const pod of pods) {
      if (pod.metadata.deletionTimestamp) continue;
      const phase = podStatus(pod).phase;
      if (phase === 'Succeeded' || phase === 'Failed') continue;
      const nodeName = podSpec(pod).nodeName;
      if (!nodeName) this.schedule(ctx, pod, nodes, pods, now);
      else this.run(ctx, pod, nodeName, usedIps, now);
    }
  }

  private schedule(
    ctx: ControllerContext,
    pod: KubeObject,
    nodes: KubeObject[],
    pods: KubeObject[],
    now: number,
  ): void {
    const spec = podSpec(pod);
    const reasons = new Map<string, number>();
    const hostPorts = spec.hostNetwork
      ? (spec.containers ?? []).flatMap((c) => (c.ports ?? []).map((p) => p.containerPort))
      : [];
    const fits = nodes.filter((node) => {
      // Host-network pods with the same port cannot share a node (Typha's 5473, for one).
      const clash =
        hostPorts.length > 0 &&
        pods.some(
          (p) =>
            p !== pod &&
            podSpec(p).nodeName === node.metadata.name &&
            podSpec(p).hostNetwork &&
            (podSpec(p).containers ?? []).some((c) =>
              (c.ports ?? []).some((cp) => hostPorts.includes(cp.containerPort)),
            ),
        );
      if (clash) {
        const why = "node(s) didn't have free ports for the requested pod ports";
        reasons.set(why, (reasons.get(why) ?? 0) + 1);
        return false;
      }
      if (spec.nodeSelector && !matchesMap(node.metadata.labels, spec.nodeSelector)) {
        reasons.set(
          "node(s) didn't match Pod's node affinity/selector",
          (reasons.get("node(s) didn't match Pod's node affinity/selector") ?? 0) + 1,
        );
        return false;
      }
      const taints = (
        (node.spec as { taints?: Array<{ key: string; effect: string; value?: string }> })?.taints ?? []
      ).filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
      const untolerated = taints.find((t) => !tolerates(pod, t));
      if (untolerated) {
        const why = `node(s) had untolerated taint {${untolerated.key}: ${untolerated.value ?? ''}}`;
        reasons.set(why, (reasons.get(why) ?? 0) + 1);
        return false;
      }
      return true;
    });
    if (fits.length === 0) {
      const n = nodes.length;
      const detail = [...reasons].map(([why, count]) => `${count} ${why}`).join(', ');
      const message =
        n === 0
          ? 'no nodes available to schedule pods'
          : `0/${n} nodes are available: ${detail}. preemption: 0/${n} nodes are available: ${n} Preemption is not helpful for scheduling.`;
      ctx.patchIfChanged(pod, (p) => {
        const prev = podStatus(p).conditions?.find((c) => c.type === 'PodScheduled');
        p.status = {
          phase: 'Pending',
          qosClass: 'BestEffort',
          conditions: [
            {
              type: 'PodScheduled',
              status: 'False',
              lastProbeTime: null,
              lastTransitionTime: prev?.lastTransitionTime ?? isoNow(now),
              reason: 'Unschedulable',
              message,
            },
          ],
        };
      });
      return;
    }
    // Spread: the node with the fewest pods of the same owner, then the fewest pods overall.
    const owner = pod.metadata.ownerReferences?.[0]?.uid;
    const count = (nodeName: string, sameOwner: boolean) =>
      pods.filter(
        (p) => podSpec(p).nodeName === nodeName && (!sameOwner || p.metadata.ownerReferences?.[0]?.uid === owner),
      ).length;
    const readyFirst = fits.filter(isNodeReady).length ? fits.filter(isNodeReady) : fits;
    const chosen = readyFirst
      .map((n) => ({ n, own: owner ? count(n.metadata.name, true) : 0, all: count(n.metadata.name, false) }))
      .sort((a, b) => a.own - b.own || a.all - b.all || a.n.metadata.name.localeCompare(b.n.metadata.name))[0].n;
    // Later pods of this pass see the binding (spreading, host ports).
    (pod.spec as Record<string, unknown>).nodeName = chosen.metadata.name;
    ctx.patchIfChanged(pod, (p) => {
      (p.spec as Record<string, unknown>).nodeName = chosen.metadata.name;
      p.status = {
        phase: 'Pending',
        qosClass: 'BestEffort',
        conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: isoNow(now) }],
      };
    });
  }

  private run(ctx: ControllerContext, pod: KubeObject, nodeName: string, usedIps: Set<string>, now: number): void {
    const spec = podSpec(pod);
    const status = podStatus(pod);
    const rec = this.nodes.records.get(nodeName);
    if (!rec) return; // bound to a node that is gone or not yet known: pod GC handles it
    const canRun = this.nodes.kubeletUp(nodeName, now) && (spec.hostNetwork || this.nodes.cniReady(nodeName));
    const containers = spec.containers ?? [];
    if (status.phase !== 'Running') {
      const limited =
        canRun && dockerHubRateLimited(ctx, nodeName)
          ? containers.find((c) => fromDockerHub(c.image ?? ''))
          : undefined;
      if (limited) {
        const message =
          `Back-off pulling image "${limited.image}": toomanyrequests: You have reached your unauthenticated pull rate ` +
          'limit. https://www.docker.com/increase-rate-limit';
        ctx.patchIfChanged(pod, (p) => {
          const prev = podStatus(p);
          p.status = {
            phase: 'Pending',
            qosClass: 'BestEffort',
            hostIP: rec.ip,
            hostIPs: [{ ip: rec.ip }],
            conditions: (prev.conditions ?? []).filter((c) => c.type === 'PodScheduled'),
            containerStatuses: containers.map((c) => ({
              name: c.name,
              image: c.image ?? '',
              imageID: '',
              ready: false,
              restartCount: 0,
              started: false,
              state: {
                waiting: fromDockerHub(c.image ?? '')
                  ? { reason: 'ImagePullBackOff', message }
                  : { reason: 'ContainerCreating' },
              },
              lastState: {},
            })),
          };
        });
        return;
      }
      if (!canRun) {
        if (!this.nodes.kubeletUp(nodeName, now)) ctx.wakeAt(rec.createdAt + ctx.env.profile.nodeReadyMs);
        ctx.patchIfChanged(pod, (p) => {
          const prev = podStatus(p);
          const scheduled = prev.conditions?.find((c) => c.type === 'PodScheduled') ?? {
            type: 'PodScheduled',
            status: 'True',
            lastProbeTime: null,
            lastTransitionTime: isoNow(now),
          };
          p.status = {
            phase: 'Pending',
            qosClass: 'BestEffort',
            hostIP: rec.ip,
            hostIPs: [{ ip: rec.ip }],
            conditions: [
              {
                type: 'PodReadyToStartContainers',
                status: 'False',
                lastProbeTime: null,
                lastTransitionTime: scheduled.lastTransitionTime,
              },
              {
                type: 'Initialized',
                status: 'True',
                lastProbeTime: null,
                lastTransitionTime: scheduled.lastTransitionTime,
              },
              {
                type: 'Ready',
                status: 'False',
                lastProbeTime: null,
                lastTransitionTime: scheduled.lastTransitionTime,
                reason: 'ContainersNotReady',
                message: `containers with unready status: [${containers.map((c) => c.name).join(' ')}]`,
              },
              {
                type: 'ContainersReady',
                status: 'False',
                lastProbeTime: null,
                lastTransitionTime: scheduled.lastTransitionTime,
                reason: 'ContainersNotReady',
                message: `containers with unready status: [${containers.map((c) => c.name).join(' ')}]`,
              },
              scheduled,
            ],
            containerStatuses: containers.map((c) => ({
              name: c.name,
              image: c.image ?? '',
              imageID: '',
              ready: false,
              restartCount: 0,
              started: false,
              state: { waiting: { reason: 'ContainerCreating' } },
              lastState: {},
            })),
          };
        });
        return;
      }
      const ip = spec.hostNetwork ? rec.ip : this.allocateIp(ctx, nodeName, rec.subnetCidr, usedIps);
      usedIps.add(ip);
      const started = isoNow(now);
      ctx.patchIfChanged(pod, (p) => {
        const prev = podStatus(p);
        const scheduled = prev.conditions?.find((c) => c.type === 'PodScheduled') ?? {
          type: 'PodScheduled',
          status: 'True',
          lastProbeTime: null,
          lastTransitionTime: started,
        };
        p.status = {
          phase: 'Running',
          qosClass: 'BestEffort',
          hostIP: rec.ip,
          hostIPs: [{ ip: rec.ip }],
          podIP: ip,
          podIPs: [{ ip }],
          startTime: new Date(now).toISOString(),
          conditions: [
            { type: 'PodReadyToStartContainers', status: 'True', lastProbeTime: null, lastTransitionTime: started },
            { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: started },
            {
              type: 'Ready',
              status: 'False',
              lastProbeTime: null,
              lastTransitionTime: started,
              reason: 'ContainersNotReady',
              message: `containers with unready status: [${containers.map((c) => c.name).join(' ')}]`,
            },
            {
              type: 'ContainersReady',
              status: 'False',
              lastProbeTime: null,
              lastTransitionTime: started,
              reason: 'ContainersNotReady',
              message: `containers with unready status: [${containers.map((c) => c.name).join(' ')}]`,
            },
            scheduled,
          ],
          containerStatuses: containers.map((c) => ({
            name: c.name,
            image: c.image ?? '',
            imageID: imageId(c.image ?? ''),
            containerID: `containerd://${randomBytes(32).toString('hex')}`,
            ready: false,
            restartCount: 0,
            started: true,
            state: { running: { startedAt: started } },
            lastState: {},
          })),
        };
      });
      ctx.wakeAt(now + ctx.env.profile.podReadyMs);
      return;
    }
    // Running: Ready once the readiness delay has passed.
    const readyAt = Date.parse(status.startTime ?? new Date(now).toISOString()) + ctx.env.profile.podReadyMs;
    const isReady = status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    if (isReady) return;
    if (now < readyAt) {
      ctx.wakeAt(readyAt);
      return;
    }
    const stamp = isoNow(now);
    ctx.patchIfChanged(pod, (p) => {
      const s = p.status as Record<string, unknown> & {
        conditions: Array<Record<string, unknown>>;
        containerStatuses?: Array<Record<string, unknown>>;
      };
      s.conditions = s.conditions.map((c) =>
        c.type === 'Ready' || c.type === 'ContainersReady'
          ? { type: c.type, status: 'True', lastProbeTime: null, lastTransitionTime: stamp }
          : c,
      );
      s.containerStatuses = (s.containerStatuses ?? []).map((c) => ({ ...c, ready: true }));
    });
  }

  /** Calico IPAM: each node claims /26 blocks of the pool (its block affinity) and hands out addresses from them. */
  private readonly blocks = new Map<string, number[]>();

  private calicoIp(pool: string, nodeName: string, used: Set<string>): string {
    const { base, size } = parseCidr(pool);
    const blockSize = Math.min(64, size);
    const key = `${pool}|${nodeName}`;
    const mine = this.blocks.get(key) ?? [];
    const taken = new Set([...this.blocks.entries()].filter(([k]) => k.startsWith(`${pool}|`)).flatMap(([, b]) => b));
    const tryBlocks = [
      ...mine,
      ...Array.from({ length: size / blockSize }, (_, i) => base + i * blockSize).filter((b) => !taken.has(b)),
    ];
    for (const block of tryBlocks) {
      // The block's first address is the node's VXLAN tunnel address.
      for (let i = 1; i < blockSize; i++) {
        const ip = intToIp(block + i);
        if (used.has(ip)) continue;
        if (!mine.includes(block)) {
          mine.push(block);
          this.blocks.set(key, mine);
        }
        return ip;
      }
    }
    // Every block is claimed: borrow from another node's block, as Calico does when the pool runs out of blocks.
    for (let i = 1; i < size - 1; i++) {
      const ip = intToIp(base + i);
      if (!used.has(ip) && i % blockSize !== 0) return ip;
    }
    throw new Error(`Calico IP pool ${pool} is exhausted`);
  }

  private allocateIp(ctx: ControllerContext, nodeName: string, subnetCidr: string, used: Set<string>): string {
    const pool = this.nodes.calicoReady(nodeName) ? calicoPoolCidr(ctx) : undefined;
    if (pool) return this.calicoIp(pool, nodeName, used);
    const { base, size } = parseCidr(subnetCidr);
    const nodeIps = new Set([...this.nodes.records.values()].map((r) => r.ip));
    for (let attempt = 0; attempt < 2000; attempt++) {
      const ip = intToIp(base + 4 + Math.floor(Math.random() * (size - 5)));
      if (!used.has(ip) && !nodeIps.has(ip)) return ip;
    }
    throw new Error(`subnet ${subnetCidr} has no free address`);
  }
}

/** The first IP pool of the Installation, when Calico does IPAM. */
export function calicoPoolCidr(ctx: ControllerContext): string | undefined {
  const inst = ctx.store.get('operator.tigera.io', 'Installation', undefined, 'default');
  const spec = inst?.spec as
    | { cni?: { type?: string; ipam?: { type?: string } }; calicoNetwork?: { ipPools?: Array<{ cidr?: string }> } }
    | undefined;
  if (spec?.cni?.type !== 'Calico' || (spec.cni.ipam?.type ?? 'Calico') !== 'Calico') return undefined;
  return spec.calicoNetwork?.ipPools?.[0]?.cidr ?? '192.168.0.0/16';
}

/**
 * The sandbox's switch for Docker Hub's anonymous pull rate limit, which bites nodes behind a shared NAT address:
 * annotate the Node. Images from registry.k8s.io, public ECR, ghcr.io or quay.io still pull.
 */
export const DOCKER_HUB_LIMIT_ANNOTATION = 'sandbox.meshops.io/docker-hub';

function dockerHubRateLimited(ctx: ControllerContext, nodeName: string): boolean {
  return (
    ctx.store.get('', 'Node', undefined, nodeName)?.metadata.annotations?.[DOCKER_HUB_LIMIT_ANNOTATION] ===
    'rate-limited'
  );
}

/** An image reference without a registry host (nginx:1.27, nicolaka/netshoot) or on docker.io comes from Docker Hub. */
export function fromDockerHub(image: string): boolean {
  const first = image.split('/')[0];
  const hasHost = image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  return !hasHost || first === 'docker.io' || first === 'registry-1.docker.io';
}

function imageId(image: string): string {
  if (!image) return '';
  const repo = image.split(':')[0];
  return `${repo.includes('/') ? repo : `docker.io/library/${repo}`}@sha256:${randomBytes(32).toString('hex')}`;
}

// Deployments (through ReplicaSets), ReplicaSets, DaemonSets and StatefulSets turn their pod templates into
// pods and report status the way kubectl rollout status reads it.
import type { KubeObject } from '../store.ts';
import { isPodReady, podSpec, tolerates } from './pod-status.ts';
import type { ControllerContext, Reconciler } from './runtime.ts';
import { controllerOf, isoNow, matchesMap, ownerRef, randomSuffix, templateHash } from './util.ts';

interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown> & { tolerations?: Array<Record<string, unknown>> };
}

interface WorkloadSpec {
  replicas?: number;
  selector?: { matchLabels?: Record<string, string> };
  template?: PodTemplate;
  serviceName?: string;
  podManagementPolicy?: string;
  minReadySeconds?: number;
}

function wspec(obj: KubeObject): WorkloadSpec {
  return (obj.spec ?? {}) as WorkloadSpec;
}

const defaultTolerations = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
];

/** A pod as the API server stores it after defaulting, built from a workload's template. */
export function podFromTemplate(
  owner: KubeObject,
  name: string,
  template: PodTemplate,
  extraLabels: Record<string, string>,
  extraSpec: Record<string, unknown> = {},
): KubeObject {
  const spec = structuredClone(template.spec ?? {}) as Record<string, unknown> & {
    tolerations?: Array<Record<string, unknown>>;
  };
  const tolerations = [...(spec.tolerations ?? [])];
  for (const t of defaultTolerations)
    if (!tolerations.some((x) => x.key === t.key && x.effect === t.effect)) tolerations.push(t);
  const sa = (spec.serviceAccountName as string | undefined) ?? 'default';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: owner.metadata.namespace,
      labels: { ...(template.metadata?.labels ?? {}), ...extraLabels },
      ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
      ownerReferences: [ownerRef(owner)],
    },
    spec: {
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      terminationGracePeriodSeconds: 30,
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
      priority: 0,
      securityContext: {},
      ...spec,
      serviceAccountName: sa,
      serviceAccount: sa,
      tolerations,
      ...extraSpec,
    },
    status: { phase: 'Pending', qosClass: 'BestEffort' },
  };
}

function ownedPods(ctx: ControllerContext, owner: KubeObject): KubeObject[] {
  return ctx.store.list('', 'Pod', owner.metadata.namespace).filter((p) => controllerOf(p)?.uid === owner.metadata.uid);
}

function condition(
  type: string,
  status: string,
  reason: string,
  message: string,
  prev: Array<Record<string, string>> | undefined,
  now: number,
) {
  const old = prev?.find((c) => c.type === type);
  const stamp = isoNow(now);
  if (old && old.status === status && old.reason === reason && old.message === message) return old;
  return {
    type,
    status,
    lastUpdateTime: stamp,
    lastTransitionTime: old && old.status === status ? old.lastTransitionTime : stamp,
    reason,
    message,
  };
}

export class ReplicaSetController implements Reconciler {
  readonly name = 'replicasets';
  reconcile(ctx: ControllerContext): void {
    for (const rs of ctx.store.list('apps', 'ReplicaSet')) {
      const spec = wspec(rs);
      const want = spec.replicas ?? 1;
      const pods = ownedPods(ctx, rs);
      for (let i = pods.length; i < want; i++) {
        const hash = rs.metadata.labels?.['pod-template-hash'];
        ctx.store.create(
          podFromTemplate(
            rs,
            `${rs.metadata.name}-${randomSuffix()}`,
            spec.template ?? {},
            hash ? { 'pod-template-hash': hash } : {},
          ),
        );
      }
      if (pods.length > want) {
        // Like the ReplicaSet controller: unscheduled, then not-ready, then the youngest pods go first.
        const rank = (p: KubeObject) => (!podSpec(p).nodeName ? 0 : !isPodReady(p) ? 1 : 2);
        const victims = [...pods]
          .sort(
            (a, b) =>
              rank(a) - rank(b) ||
              (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
          )
          .slice(0, pods.length - want);
        for (const v of victims) ctx.deleteIfExists('', 'Pod', v.metadata.namespace, v.metadata.name);
      }
      const current = ownedPods(ctx, rs);
      const ready = current.filter(isPodReady).length;
      ctx.patchIfChanged(rs, (o) => {
        o.status = {
          replicas: current.length,
          fullyLabeledReplicas: current.length,
          readyReplicas: ready,
          availableReplicas: ready,
          observedGeneration: o.metadata.generation ?? 1,
        };
      });
    }
  }
}

export class DeploymentController implements Reconciler {
  readonly name = 'deployments';
  reconcile(ctx: ControllerContext): void {
    const now = ctx.now();
    for (const d of ctx.store.list('apps', 'Deployment')) {
      const spec = wspec(d);
      const want = spec.replicas ?? 1;
      const hash = templateHash(spec.template);
      const rsName = `${d.metadata.name}-${hash}`;
      const owned = ctx.store
        .list('apps', 'ReplicaSet', d.metadata.namespace)
        .filter((rs) => controllerOf(rs)?.uid === d.metadata.uid);
      const template = structuredClone(spec.template ?? {});
      template.metadata = {
        ...(template.metadata ?? {}),
        labels: { ...(template.metadata?.labels ?? {}), 'pod-template-hash': hash },
      };
      if (!owned.some((rs) => rs.metadata.name === rsName)) {
        ctx.store.create({
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          metadata: {
            name: rsName,
            namespace: d.metadata.namespace,
            labels: { ...(spec.template?.metadata?.labels ?? {}), 'pod-template-hash': hash },
            annotations: {
              'deployment.kubernetes.io/desired-replicas': String(want),
              'deployment.kubernetes.io/revision': String(owned.length + 1),
            },
            ownerReferences: [ownerRef(d)],
          },
          spec: {
            replicas: want,
            selector: { matchLabels: { ...(spec.selector?.matchLabels ?? {}), 'pod-template-hash': hash } },
            template,
          },
        });
      }
      // Recreate-style rollout is enough here: the new ReplicaSet takes all replicas, old ones go to zero.
      for (const rs of owned) {
        const replicas = rs.metadata.name === rsName ? want : 0;
        if ((wspec(rs).replicas ?? 1) !== replicas) {
          ctx.patchIfChanged(rs, (o) => {
            (o.spec as WorkloadSpec).replicas = replicas;
            o.metadata.annotations = {
              ...(o.metadata.annotations ?? {}),
              'deployment.kubernetes.io/desired-replicas': String(want),
            };
          });
        }
      }
      const pods = owned.flatMap((rs) => ownedPods(ctx, rs));
      const updated = pods.filter((p) => p.metadata.labels?.['pod-template-hash'] === hash);
      const ready = pods.filter(isPodReady).length;
      const available = updated.filter(isPodReady).length >= want;
      ctx.patchIfChanged(d, (o) => {
        const prev = (o.status as { conditions?: Array<Record<string, string>> } | undefined)?.conditions;
        o.status = {
          observedGeneration: o.metadata.generation ?? 1,
          replicas: pods.length,
          updatedReplicas: updated.length,
          readyReplicas: ready,
          availableReplicas: ready,
          ...(pods.length - ready > 0 ? { unavailableReplicas: pods.length - ready } : {}),
          conditions: [
            available
              ? condition(
                  'Available',
                  'True',
                  'MinimumReplicasAvailable',
                  'Deployment has minimum availability.',
                  prev,
                  now,
                )
              : condition(
                  'Available',
                  'False',
                  'MinimumReplicasUnavailable',
                  'Deployment does not have minimum availability.',
                  prev,
                  now,
                ),
            updated.length >= want && available
              ? condition(
                  'Progressing',
                  'True',
                  'NewReplicaSetAvailable',
                  `ReplicaSet "${rsName}" has successfully progressed.`,
                  prev,
                  now,
                )
              : condition(
                  'Progressing',
                  'True',
                  'ReplicaSetUpdated',
                  `ReplicaSet "${rsName}" is progressing.`,
                  prev,
                  now,
                ),
          ],
        };
      });
    }
  }
}

/** The tolerations the DaemonSet controller adds to every daemon pod. */
function daemonTolerations(template: PodTemplate): Array<Record<string, unknown>> {
  const t = [...(template.spec?.tolerations ?? [])];
  const add = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (template.spec?.hostNetwork)
    add.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
  for (const a of add) if (!t.some((x) => x.key === a.key && x.effect === a.effect)) t.push(a);
  return t;
}

export class DaemonSetController implements Reconciler {
  readonly name = 'daemonsets';
  reconcile(ctx: ControllerContext): void {
    const nodes = ctx.store.list('', 'Node');
    for (const ds of ctx.store.list('apps', 'DaemonSet')) {
      const spec = wspec(ds);
      const template = structuredClone(spec.template ?? {});
      template.spec = { ...(template.spec ?? {}), tolerations: daemonTolerations(template) };
      const hash = templateHash(spec.template);
      const probe = podFromTemplate(ds, 'probe', template, {});
      const eligible = nodes.filter((n) => {
        const sel = (template.spec?.nodeSelector as Record<string, string> | undefined) ?? {};
        if (!matchesMap(n.metadata.labels, sel)) return false;
        const taints = (
          (n.spec as { taints?: Array<{ key: string; effect: string; value?: string }> })?.taints ?? []
        ).filter((t) => t.effect !== 'PreferNoSchedule');
        return taints.every((t) => tolerates(probe, t));
      });
      const pods = ownedPods(ctx, ds);
      for (const pod of pods) {
        const onEligible = eligible.some((n) => n.metadata.name === podSpec(pod).nodeName);
        if (!onEligible || pod.metadata.labels?.['controller-revision-hash'] !== hash) {
          ctx.deleteIfExists('', 'Pod', pod.metadata.namespace, pod.metadata.name);
        }
      }
      const kept = ownedPods(ctx, ds);
      for (const node of eligible) {
        if (kept.some((p) => podSpec(p).nodeName === node.metadata.name)) continue;
        ctx.store.create(
          podFromTemplate(
            ds,
            `${ds.metadata.name}-${randomSuffix()}`,
            template,
            { 'controller-revision-hash': hash, 'pod-template-generation': String(ds.metadata.generation ?? 1) },
            { nodeName: node.metadata.name },
          ),
        );
      }
      const current = ownedPods(ctx, ds);
      const ready = current.filter(isPodReady).length;
      ctx.patchIfChanged(ds, (o) => {
        o.status = {
          currentNumberScheduled: current.length,
          desiredNumberScheduled: eligible.length,
          numberMisscheduled: 0,
          numberReady: ready,
          numberAvailable: ready,
          ...(eligible.length - ready > 0 ? { numberUnavailable: eligible.length - ready } : {}),
          updatedNumberScheduled: current.length,
          observedGeneration: o.metadata.generation ?? 1,
        };
      });
    }
  }
}

export class StatefulSetController implements Reconciler {
  readonly name = 'statefulsets';
  reconcile(ctx: ControllerContext): void {
    for (const sts of ctx.store.list('apps', 'StatefulSet')) {
      const spec = wspec(sts);
      const want = spec.replicas ?? 1;
      const name = sts.metadata.name;
      const revision = `${name}-${templateHash(spec.template).slice(0, 10)}`;
      const parallel = spec.podManagementPolicy === 'Parallel';
      const byOrdinal = new Map<number, KubeObject>();
      for (const pod of ownedPods(ctx, sts)) {
        const m = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-(\\d+)$`).exec(pod.metadata.name);
        if (m) byOrdinal.set(Number(m[1]), pod);
      }
      // Scale down: highest ordinal first, one at a time.
      const extra = [...byOrdinal.keys()].filter((i) => i >= want).sort((a, b) => b - a);
      if (extra.length) {
        const i = extra[0];
        ctx.deleteIfExists('', 'Pod', sts.metadata.namespace, byOrdinal.get(i)!.metadata.name);
        byOrdinal.delete(i);
      } else {
        // Scale up: in order; with OrderedReady each pod waits for all lower ordinals to be Running and Ready.
        for (let i = 0; i < want; i++) {
          if (byOrdinal.has(i)) {
            if (!parallel && !isPodReady(byOrdinal.get(i)!)) break;
            continue;
          }
          const podName = `${name}-${i}`;
          if (ctx.store.get('', 'Pod', sts.metadata.namespace, podName)) break; // a foreign pod holds the name
          const pod = podFromTemplate(
            sts,
            podName,
            spec.template ?? {},
            {
              'apps.kubernetes.io/pod-index': String(i),
              'controller-revision-hash': revision,
              'statefulset.kubernetes.io/pod-name': podName,
            },
            { hostname: podName, ...(spec.serviceName ? { subdomain: spec.serviceName } : {}) },
          );
          byOrdinal.set(i, ctx.store.create(pod));
          if (!parallel) break;
        }
        // Rolling update: replace the highest-ordinal pod of an old revision once all are Ready.
        const all = [...byOrdinal.entries()].sort((a, b) => b[0] - a[0]);
        if (all.length === want && all.every(([, p]) => isPodReady(p))) {
          const stale = all.find(([, p]) => p.metadata.labels?.['controller-revision-hash'] !== revision);
          if (stale) ctx.deleteIfExists('', 'Pod', sts.metadata.namespace, stale[1].metadata.name);
        }
      }
      const pods = [...byOrdinal.values()];
      const ready = pods.filter(isPodReady).length;
      const updated = pods.filter((p) => p.metadata.labels?.['controller-revision-hash'] === revision).length;
      ctx.patchIfChanged(sts, (o) => {
        o.status = {
          observedGeneration: o.metadata.generation ?? 1,
          replicas: pods.length,
          readyReplicas: ready,
          currentReplicas: updated,
          updatedReplicas: updated,
          availableReplicas: ready,
          currentRevision: revision,
          updateRevision: revision,
          collisionCount: 0,
        };
      });
    }
  }
}

import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/kube/client.ts';
import * as netshoot from '../../../src/mesh/kube/netshoot.ts';
import * as workloads from '../../../src/mesh/kube/workloads.ts';
import { FakeKube, fakeClock, fakeCtx, MESH_LABELS, testDeps, testSpec } from './fake-kube.ts';

/** A StatefulSet controller in one line: every tick, pods up to spec.replicas, all Ready. */
function statefulSetController(kube: FakeKube): () => void {
  return () => {
    for (const o of [...kube.objects.values()]) {
      if (o.kind !== 'StatefulSet') continue;
      const want = (o.spec as { replicas: number }).replicas;
      const ns = o.metadata.namespace!;
      for (const p of kube.objects.values()) {
        const i = Number(p.metadata.name.split('-').at(-1));
        if (p.kind === 'Pod' && p.metadata.labels?.run === o.metadata.name && i >= want)
          kube.objects.delete(FakeKube.key('v1', 'Pod', p.metadata.name, ns));
      }
      for (let i = 0; i < want; i++) {
        kube.put({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: `${o.metadata.name}-${i}`,
            namespace: ns,
            labels: { run: o.metadata.name },
            ownerReferences: [{ kind: 'StatefulSet' }],
          },
          status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
        });
      }
      (o as KubeObject & { status: unknown }).status = { readyReplicas: want };
    }
  };
}

describe('workloads.ensure', () => {
  it('creates the Service, the StatefulSet and a federated Service per other cluster, then waits until Ready', async () => {
    const kube = new FakeKube();
    const clock = fakeClock(statefulSetController(kube));
    const deps = testDeps(testSpec(), clock);
    const notes: string[] = [];
    const out = await workloads.ensure(fakeCtx(clock, notes), deps, kube, deps.spec.clusters[0]);
    expect(out).toEqual({ replicas: 1, created: true });
    expect(kube.writes).toEqual([
      'apply Service default/multi-cluster-rs-iad',
      'apply StatefulSet default/multi-cluster-rs-iad',
      'apply Service default/multi-cluster-rs-pdx',
    ]);
    // It waited (one poll interval) and said what for.
    expect(clock.elapsed()).toBe(1000);
    expect(notes[0]).toMatch(/^iad: multi-cluster-rs-iad at 1 Ready pods: 0\/1 Ready, 0 pods/);
  });

  it('keeps the live replica count, so a second /mesh up never undoes a /mesh scale', async () => {
    const kube = new FakeKube();
    const clock = fakeClock(statefulSetController(kube));
    const deps = testDeps(testSpec(), clock);
    const iad = deps.spec.clusters[0];
    await workloads.ensure(fakeCtx(clock), deps, kube, iad);
    await workloads.applyStatefulSet(kube, deps, iad, 3);
    statefulSetController(kube)();
    const again = await workloads.ensure(fakeCtx(clock), deps, kube, iad);
    expect(again).toEqual({ replicas: 3, created: false });
    expect(await workloads.statefulSetState(kube, deps, 'iad')).toEqual({ desired: 3, ready: 3 });
  });

  it('changes replicas by applying the whole StatefulSet as meshops, the same object up applies', async () => {
    const kube = new FakeKube();
    const deps = testDeps();
    const iad = deps.spec.clusters[0];
    await workloads.applyStatefulSet(kube, deps, iad, 4);
    const sts = await kube.get<KubeObject & { spec: Record<string, unknown> }>(
      'apps/v1',
      'StatefulSet',
      'multi-cluster-rs-iad',
      'default',
    );
    const fromUp = workloads.objects(deps, iad, 4).find((o) => o.kind === 'StatefulSet')!;
    expect(sts).toEqual(fromUp);
    expect(sts!.spec.replicas).toBe(4);
  });

  it('times out with what it last saw when pods stay Pending', async () => {
    const kube = new FakeKube();
    const clock = fakeClock();
    const deps = testDeps(testSpec(), clock);
    kube.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'multi-cluster-rs-iad-0', namespace: 'default', labels: { run: 'multi-cluster-rs-iad' } },
      status: {
        phase: 'Pending',
        conditions: [
          { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/2 nodes are available' },
        ],
      },
    });
    const wait = workloads.awaitReplicas(fakeCtx(clock), deps, kube, deps.spec.clusters[0], 1, { timeoutMs: 5000 });
    await expect(wait).rejects.toThrow(
      /0\/1 Ready, 1 pods, 1 Pending \(multi-cluster-rs-iad-0\); scheduler: 0\/2 nodes are available/,
    );
  });
});

describe('workloads.health', () => {
  it('says how many local and remote endpoints each federated Service has, and how Ready the StatefulSet is', async () => {
    const kube = new FakeKube();
    const deps = testDeps();
    const iad = deps.spec.clusters[0];
    for (const o of workloads.objects(deps, iad)) await kube.apply(o);
    (kube.objects.get(FakeKube.key('apps/v1', 'StatefulSet', 'multi-cluster-rs-iad', 'default')) as KubeObject).status =
      { readyReplicas: 0 };
    kube.put({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: 'multi-cluster-rs-pdx-abc',
        namespace: 'default',
        labels: { 'kubernetes.io/service-name': 'multi-cluster-rs-pdx' },
      },
      endpoints: [
        {
          addresses: ['192.168.2.5'],
          hostname: 'multi-cluster-rs-pdx-0',
          targetRef: { name: 'pdx/multi-cluster-rs-pdx-0' },
          conditions: { ready: true },
        },
        { addresses: ['192.168.2.6'], targetRef: { name: 'pdx/multi-cluster-rs-pdx-1' }, conditions: { ready: false } },
      ],
    });
    // v1 Endpoints are not read (deprecated from Kubernetes 1.33): a stale one changes nothing.
    kube.put({
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'multi-cluster-rs-pdx', namespace: 'default' },
      subsets: [{ addresses: [{ ip: '1.2.3.4', targetRef: { name: 'pdx/stale' } }] }],
    });
    expect(await workloads.health(deps, kube, iad)).toEqual([
      { health: 'ok', subject: 'federated Service multi-cluster-rs-pdx', detail: '0 local, 1 remote endpoints' },
      { health: 'warning', subject: 'StatefulSet multi-cluster-rs-iad', detail: '0/1 Ready' },
    ]);
    expect(await workloads.federatedPods(kube, deps, 'pdx')).toEqual(['multi-cluster-rs-pdx-0']);
  });

  it('reports a missing StatefulSet and federated Service as absent', async () => {
    const lines = await workloads.health(testDeps(), new FakeKube(), testSpec().clusters[0]);
    expect(lines.map((l) => [l.health, l.detail])).toEqual([
      ['absent', 'missing'],
      ['absent', 'missing'],
    ]);
  });
});

describe('workloads.remove and netshoot.remove', () => {
  it('delete only what carries the mesh labels and is not owned by something else', async () => {
    const kube = new FakeKube();
    const deps = testDeps(testSpec('enterprise', 'mesh-test'));
    const iad = deps.spec.clusters[0];
    for (const o of workloads.workloadObjects(deps, iad)) await kube.apply(o);
    kube.put({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'someone-elses', namespace: 'mesh-test' } });
    kube.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'multi-cluster-rs-iad-0', namespace: 'mesh-test', labels: MESH_LABELS, ownerReferences: [{}] },
    });
    kube.writes.length = 0;
    const between: string[] = [];
    const gone = [
      ...(await netshoot.remove(deps, kube, async () => void between.push('checkpoint'))),
      ...(await workloads.remove(deps, kube, async () => void between.push('checkpoint'))),
    ];
    expect(gone.map((o) => `${o.kind} ${o.name}`)).toEqual([
      'Pod netshoot',
      'StatefulSet multi-cluster-rs-iad',
      'Service multi-cluster-rs-iad',
      'Service multi-cluster-rs-pdx',
    ]);
    expect(between).toHaveLength(4);
    expect(await kube.get('v1', 'Service', 'someone-elses', 'mesh-test')).toBeDefined();
    expect((await workloads.findNamespace(deps, kube)).map((o) => o.name)).toEqual(['mesh-test']);
    expect(await workloads.remove(deps, kube, async () => {})).toEqual([]);
  });
});

describe('netshoot.ensure', () => {
  it('leaves an existing pod alone (a Pod spec cannot change in place) and waits until it is Ready', async () => {
    const kube = new FakeKube();
    const clock = fakeClock(() => {
      const pod = kube.objects.get(FakeKube.key('v1', 'Pod', 'netshoot', 'default'));
      if (pod) pod.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };
    });
    const deps = testDeps(testSpec(), clock);
    kube.put({ ...netshoot.objects(deps)[0], spec: { containers: [{ name: 'netshoot', image: 'older' }] } });
    expect(await netshoot.ensure(fakeCtx(clock), deps, kube, 'iad')).toEqual({ created: false });
    expect(kube.writes).toEqual([]);
    expect(await netshoot.health(deps, kube)).toEqual({ health: 'ok', subject: 'pod netshoot', detail: 'Ready' });
  });
});

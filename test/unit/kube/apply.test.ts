// Server-side apply of manifests: CRDs first and Established before anything else, a few at a time, and a manifest
// text parsed once however many clusters apply it.
import { describe, expect, it } from 'vitest';
import { applyObjects, parseManifestsOnce } from '../../../src/kube/apply.ts';
import type { KubeObject } from '../../../src/kube/client.ts';
import { parseManifests } from '../../../src/kube/manifests.ts';
import { FakeKube, fakeClock, fakeCtx } from './fake-kube.ts';

const crd = (name: string): KubeObject => ({
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name },
});

describe('applyObjects', () => {
  it('applies every CRD, waits until all are Established, then namespaces, then the rest', async () => {
    const kube = new FakeKube().serve('apiextensions.k8s.io/v1', 'CustomResourceDefinition');
    let inFlight = 0;
    let mostAtOnce = 0;
    const apply = kube.apply.bind(kube);
    kube.apply = async (obj) => {
      mostAtOnce = Math.max(mostAtOnce, ++inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
      return apply(obj);
    };
    // The API server marks them Established only after the first poll.
    const clock = fakeClock(() => {
      for (const o of kube.objects.values()) o.status = { conditions: [{ type: 'Established', status: 'True' }] };
    });
    const crds = Array.from({ length: 20 }, (_, i) => crd(`kind${i}.example.io`));
    const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tigera-operator' } };
    const cm: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'x', namespace: 'tigera-operator' },
    };

    const result = await applyObjects(fakeCtx(clock), kube, [cm, ...crds, ns], { pollIntervalMs: 500 });

    expect(result).toEqual({ applied: 22, crds: 20 });
    expect(kube.writes.slice(0, 20).every((w) => w.startsWith('apply CustomResourceDefinition'))).toBe(true);
    expect(kube.writes.slice(20)).toEqual(['apply Namespace tigera-operator', 'apply ConfigMap tigera-operator/x']);
    expect(clock.elapsed()).toBe(500);
    expect(mostAtOnce).toBeGreaterThan(1);
    expect(mostAtOnce).toBeLessThanOrEqual(6);
  });
});

describe('parseManifestsOnce', () => {
  const text =
    'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n';

  it('gives every caller the same parse, frozen: one caller cannot change what the next one applies', async () => {
    const first = await parseManifestsOnce(text);
    expect(() => {
      (first[0]!.metadata as { name: string }).name = 'changed by the first caller';
    }).toThrow(TypeError);
    expect(() => (first as unknown[]).push({})).toThrow(TypeError);
    const second = await parseManifestsOnce(text);
    expect(second).toBe(first);
    expect(second.map((o) => o.metadata.name)).toEqual(['a', 'b']);
  });

  it('parses a different text anew', async () => {
    expect((await parseManifestsOnce(text.replace('name: b', 'name: c'))).map((o) => o.metadata.name)).toEqual([
      'a',
      'c',
    ]);
  });

  it('parses a large manifest with the same objects as parseManifests', async () => {
    const big = Array.from(
      { length: 60 },
      (_, i) =>
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c${i}\ndata:\n${Array.from({ length: 100 }, (_, k) => `  k${k}: "${'x'.repeat(40)}"`).join('\n')}\n`,
    ).join('---\n');
    const got = await parseManifestsOnce(big);
    expect(got).toEqual(parseManifests(big));
    expect(got).toHaveLength(60);
  });

  it('lets timers run while one large document is parsed (a Tigera CRD takes 100 ms): the parse is off this thread', async () => {
    // One document, as a big CRD is: parsed here, no timer could run before its last line was read.
    const oneDoc = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\ndata:\n${Array.from(
      { length: 4_000 },
      (_, k) => `  k${k}: "${'x'.repeat(40)}"`,
    ).join('\n')}\n`;
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const got = await parseManifestsOnce(oneDoc);
    clearInterval(timer);
    expect(Object.keys(got[0]!.data as object)).toHaveLength(4_000);
    expect(ticks).toBeGreaterThan(2);
  });

  it('refuses YAML that is not valid, and parses it again next time', async () => {
    await expect(parseManifestsOnce('a: [1, 2\n')).rejects.toThrow(/manifest is not valid YAML/);
    await expect(parseManifestsOnce('a: [1, 2\n')).rejects.toThrow(/manifest is not valid YAML/);
  });
});

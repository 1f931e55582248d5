// The Kubernetes stand-in's store hands out copies: what a caller changes in an object it got never reaches the
// store, nor another caller's copy, until it writes it back.
import { describe, expect, it } from 'vitest';
import { copyOf, ObjectStore } from '../../../sandbox/kube/store.ts';

const pod = () => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'ns', labels: { app: 'a' } },
  spec: { containers: [{ name: 'c', ports: [{ containerPort: 80 }] }], nodeName: undefined },
});

describe('the stand-in store', () => {
  it('gives each reader its own copy, deep: a change to one is seen by nobody until it is written', () => {
    const store = new ObjectStore();
    store.create(pod());
    const a = store.get('', 'Pod', 'ns', 'p')!;
    (a.metadata.labels as Record<string, string>).app = 'changed';
    (a.spec as { containers: Array<{ ports: Array<{ containerPort: number }> }> }).containers[0]!
      .ports[0]!.containerPort = 1;
    const b = store.list('', 'Pod', 'ns')[0]!;
    expect(b.metadata.labels).toEqual({ app: 'a' });
    expect(b.spec).toMatchObject({ containers: [{ ports: [{ containerPort: 80 }] }] });
  });

  it('keeps what the object was given as is: a key set to undefined stays a key', () => {
    const got = copyOf(pod());
    expect(Object.keys(got.spec)).toEqual(['containers', 'nodeName']);
  });

  it('copies what is not plain data (a Date) as structuredClone does, not as an empty object', () => {
    const when = new Date('2026-12-03T10:00:00Z');
    const got = copyOf({ at: when });
    expect(got.at).toBeInstanceOf(Date);
    expect(got.at).not.toBe(when);
    expect(got.at.toISOString()).toBe('2026-12-03T10:00:00.000Z');
  });
});

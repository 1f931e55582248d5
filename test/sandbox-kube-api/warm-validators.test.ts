// The stand-in compiles a CRD's schema once per process, by content: the sandbox does it for its release's CRDs when
// it starts (sandbox/kube/server/schema/warm-validators.ts), and the first custom resource then finds it compiled.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compiledValidators } from '../../sandbox/kube/server/schema/admit.ts';
import { warmValidators } from '../../sandbox/kube/server/schema/warm-validators.ts';
import { conditionOf, KubeClient } from '../../src/kube/client.ts';
import { parseManifests } from '../../src/kube/manifests.ts';
import { echoExec, execOnlyControllers, startSandbox } from './harness.ts';

/** A CRD whose schema no other test compiled (its description is unique). */
function crd(plural: string): string {
  return [
    'apiVersion: apiextensions.k8s.io/v1',
    'kind: CustomResourceDefinition',
    `metadata: {name: ${plural}.warm.example.com}`,
    'spec:',
    '  group: warm.example.com',
    `  names: {kind: W${plural}, plural: ${plural}, singular: w${plural}, listKind: W${plural}List}`,
    '  scope: Namespaced',
    '  versions:',
    '    - name: v1',
    '      served: true',
    '      storage: true',
    '      schema:',
    '        openAPIV3Schema:',
    `          description: ${plural} ${randomUUID()}`,
    '          type: object',
    '          properties:',
    '            spec: {type: object, properties: {size: {type: integer, minimum: 1}}}',
    '',
  ].join('\n');
}

const resource = (plural: string) =>
  `apiVersion: warm.example.com/v1\nkind: W${plural}\nmetadata: {name: one, namespace: default}\nspec: {size: 2}\n`;

describe('CRD schemas compiled ahead', () => {
  let sb: Awaited<ReturnType<typeof startSandbox>>;
  beforeAll(async () => {
    sb = await startSandbox({ installControllers: execOnlyControllers(echoExec) });
  });
  afterAll(async () => sb?.stop());

  /** As the bot applies Calico: the manifest parsed by the product, server-side through its client. */
  async function applyCrdThenResource(plural: string, text: string): Promise<void> {
    const client = new KubeClient(sb.kubeConfig());
    const [definition] = parseManifests(text);
    await client.apply(definition!);
    for (let i = 0; ; i++) {
      const live = await client.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', definition!.metadata.name);
      if (conditionOf(live, 'Established')?.status === 'True') break;
      if (i > 100) throw new Error(`${definition!.metadata.name} never Established`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await client.apply(parseManifests(resource(plural))[0]!);
  }

  it('a schema warmed from the manifest is not compiled again when its first custom resource arrives', async () => {
    const text = crd('gadgets');
    expect(await warmValidators(text)).toBe(1);
    expect(await warmValidators(text)).toBe(0);
    const before = compiledValidators();
    await applyCrdThenResource('gadgets', text);
    expect(compiledValidators()).toBe(before);
  });

  it('a schema not warmed is compiled at its first custom resource, once', async () => {
    const before = compiledValidators();
    await applyCrdThenResource('widgets', crd('widgets'));
    expect(compiledValidators()).toBe(before + 1);
  });
});

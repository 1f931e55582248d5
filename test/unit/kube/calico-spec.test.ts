// The calico section of the mesh spec: VXLAN only, and Enterprise only from Tigera's Enterprise manifests.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseSpec, SpecError, type SpecProblem } from '../../../src/config/spec.ts';

const meshText = readFileSync(new URL('../../../infra/mesh.yaml', import.meta.url), 'utf8');

function withCalico(edit: (c: Record<string, unknown>) => void): string {
  const s = parse(meshText) as { calico: Record<string, unknown> };
  edit(s.calico);
  return stringify(s);
}

function problems(text: string): SpecProblem[] {
  try {
    parseSpec(text, 'test.yaml');
  } catch (err) {
    if (err instanceof SpecError) return err.problems;
    throw err;
  }
  return [];
}

describe('calico.encapsulation', () => {
  it.each([
    ['IPIP', /IPIP cannot work here: with BGP disabled .* refuses IPIP pools .*; use VXLAN$/],
    ['IPIPCrossSubnet', /IPIPCrossSubnet cannot work here: .*source\/destination check drops; use VXLAN$/],
    ['VXLANCrossSubnet', /VXLANCrossSubnet cannot work here: .*source\/destination check drops.*; use VXLAN$/],
    ['None', /None cannot work here: .*Unencapsulated IP pools require that BGP is enabled.*; use VXLAN$/],
  ])('refuses %s and says why', (enc, message) => {
    const p = problems(withCalico((c) => (c.encapsulation = enc)));
    expect(p).toHaveLength(1);
    expect(p[0].path).toBe('calico.encapsulation');
    expect(p[0].message).toMatch(message);
  });

  it('accepts VXLAN', () => {
    expect(problems(withCalico((c) => (c.encapsulation = 'VXLAN')))).toEqual([]);
  });
});

describe('calico.variant enterprise', () => {
  it("defaults to Tigera's Enterprise manifests", () => {
    const spec = parseSpec(
      withCalico((c) => delete c.manifestBaseUrl),
      't',
    );
    expect(spec.calico).toMatchObject({
      variant: 'enterprise',
      version: 'v3.23.1',
      manifestBaseUrl: 'https://downloads.tigera.io/ee',
    });
  });

  it('refuses the projectcalico manifests, saying what is right', () => {
    const p = problems(
      withCalico((c) => (c.manifestBaseUrl = 'https://raw.githubusercontent.com/projectcalico/calico')),
    );
    expect(p.map((x) => x.path)).toEqual(['calico.manifestBaseUrl']);
    expect(p[0].message).toMatch(
      /serves Calico Open Source.*for variant enterprise use https:\/\/downloads\.tigera\.io\/ee/,
    );
  });

  it('refuses an Open Source version number, saying what is right', () => {
    const p = problems(withCalico((c) => (c.version = 'v3.31.7')));
    expect(p.map((x) => x.path)).toEqual(['calico.version']);
    expect(p[0].message).toBe(
      'v3.31.7 is not a Calico Enterprise release (Enterprise is at v3.23; numbers past that are Calico Open Source); ' +
        'use an Enterprise version like v3.23.1',
    );
  });

  it('leaves oss and cloud on Calico Open Source, from projectcalico by default', () => {
    for (const variant of ['oss', 'cloud']) {
      const spec = parseSpec(
        withCalico((c) => Object.assign(c, { variant, version: 'v3.31.7', manifestBaseUrl: undefined })),
        't',
      );
      expect(spec.calico.manifestBaseUrl).toBe('https://raw.githubusercontent.com/projectcalico/calico');
    }
  });
});

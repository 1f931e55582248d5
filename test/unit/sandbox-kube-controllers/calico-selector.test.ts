import { describe, expect, it } from 'vitest';
import { parseCalicoSelector } from '../../../sandbox/kube/controllers/calico-selector.ts';

describe('Calico selectors (federation.tigera.io/serviceSelector)', () => {
  const labels = { run: 'nginx', cluster: 'iad', tier: 'web' };
  it.each([
    ["run == 'nginx'", true],
    ["run == 'apache'", false],
    ["run == 'nginx' && cluster == 'iad'", true],
    ["run == 'nginx' && cluster == 'pdx'", false],
    ["cluster == 'pdx' || tier == 'web'", true],
    ["run != 'nginx'", false],
    ['has(tier)', true],
    ['!has(tier)', false],
    ["cluster in {'iad', 'pdx'}", true],
    ["cluster not in {'iad'}", false],
    ["(run == 'x' || run == 'nginx') && !(cluster == 'pdx')", true],
    ['all()', true],
    ['run == "nginx"', true],
  ])('%s -> %s', (selector, expected) => {
    expect(parseCalicoSelector(selector)(labels)).toBe(expected);
  });

  it.each(["run = 'nginx'", 'run == nginx', "run == 'nginx' &&"])('rejects %s', (selector) => {
    expect(() => parseCalicoSelector(selector)).toThrow(/selector/);
  });
});

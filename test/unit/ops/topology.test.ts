// The topology picture of known states: the SVG's elements and labels say what the mesh is, nothing overlaps
// with four clusters, and the PNG decodes at the SVG's size.
import { describe, expect, it } from 'vitest';
import type { Rect } from '../../../src/topology/layout.ts';
import { topologyPng } from '../../../src/topology/png.ts';
import { COLOURS, topologySvg } from '../../../src/topology/svg.ts';
import { decodePng } from './png.ts';
import { broken, fourMixed, healthy } from './topology-fixtures.ts';

const attr = (el: string, name: string) => new RegExp(`${name}="([^"]*)"`).exec(el)?.[1];
const all = (svg: string, re: RegExp) => [...svg.matchAll(re)].map((m) => m[0]);
const rectOf = (el: string): Rect => ({
  x: +attr(el, 'x')!,
  y: +attr(el, 'y')!,
  w: +attr(el, 'width')!,
  h: +attr(el, 'height')!,
});
const texts = (svg: string, cls: string) =>
  [...svg.matchAll(new RegExp(`<text [^>]*class="${cls}"[^>]*>([^<]*)</text>`, 'g'))].map((m) => m[1]);
const overlap = (a: Rect, b: Rect) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/** The cluster boxes and peering label boxes, as drawn. */
function drawn(svg: string) {
  const boxes = all(svg, /<g class="cluster"[^>]*><rect [^>]*>/g).map((g) => rectOf(g.slice(g.indexOf('<rect'))));
  const labels = all(svg, /<rect [^>]*\/><text [^>]*class="peering-label"/g).map((r) => rectOf(r));
  return { boxes, labels };
}

describe('topology picture', () => {
  it('a healthy two-region mesh: two boxes, one active peering with its RTT, two green InSync arrows', () => {
    const svg = topologySvg(healthy(2));
    const clusters = all(svg, /<g class="cluster"[^>]*>/g);
    expect(clusters.map((g) => [attr(g, 'data-cluster'), attr(g, 'data-region'), attr(g, 'data-ok')])).toEqual([
      ['iad', 'us-east-1', 'true'],
      ['pdx', 'us-west-2', 'true'],
    ]);
    expect(svg).toContain('>nodes 3/3 Ready<');
    expect(all(svg, /<g class="peering"[^>]*>/g).map((g) => attr(g, 'data-state'))).toEqual(['active']);
    expect(texts(svg, 'peering-label')).toEqual(['active · 69 ms']);
    const arrows = all(svg, /<path class="sync"[^>]*>/g);
    expect(
      arrows.map((a) => `${attr(a, 'data-source')}->${attr(a, 'data-destination')} ${attr(a, 'data-state')}`).sort(),
    ).toEqual(['iad->pdx 2', 'pdx->iad 2']);
    expect(arrows.every((a) => attr(a, 'stroke') === COLOURS.ok)).toBe(true);
    expect(texts(svg, 'all-ok')).toEqual(['✓ every check ok']);
    expect(texts(svg, 'problem')).toEqual([]);
  });

  it('a broken mesh shows the failing parts in red with their reasons', () => {
    const svg = topologySvg(broken());
    const pdx = all(svg, /<g class="cluster"[^>]*>/g).find((g) => attr(g, 'data-cluster') === 'pdx')!;
    expect(attr(pdx, 'data-ok')).toBe('false');
    const toPdx = all(svg, /<path class="sync"[^>]*>/g).find((a) => attr(a, 'data-destination') === 'pdx')!;
    expect([attr(toPdx, 'data-state'), attr(toPdx, 'stroke')]).toEqual(['5', COLOURS.fail]);
    expect(texts(svg, 'problem')).toEqual([
      '✗ pdx: 2/3 nodes Ready',
      '✗ pdx reads iad: ConfigInComplete (Secret calico-system/iad-secret is missing)',
      '✗ ping iad -&gt; pdx: 3 packets transmitted, 0 received',
    ]);
    expect(texts(svg, 'peering-label')).toEqual(['active · 74 ms · ping iad→pdx fails']);
  });

  it('four clusters: 4 boxes, 6 peerings, 12 arrows, and no box or label overlaps another or leaves the picture', () => {
    const svg = topologySvg(fourMixed());
    expect(all(svg, /<g class="cluster"/g)).toHaveLength(4);
    expect(all(svg, /<g class="peering"/g)).toHaveLength(6);
    expect(all(svg, /<path class="sync"/g)).toHaveLength(12);
    const { boxes, labels } = drawn(svg);
    expect(boxes).toHaveLength(4);
    expect(labels).toHaveLength(6);
    const items = [...boxes, ...labels];
    const width = Number(attr(svg, 'width'));
    const height = Number(attr(svg, 'height'));
    for (let i = 0; i < items.length; i++) {
      const r = items[i];
      expect(r.x >= 0 && r.y >= 0 && r.x + r.w <= width && r.y + r.h <= height, JSON.stringify(r)).toBe(true);
      for (let j = i + 1; j < items.length; j++) expect(overlap(r, items[j]), `${i} and ${j} overlap`).toBe(false);
    }
    const sin = all(svg, /<g class="cluster"[^>]*>/g).find((g) => attr(g, 'data-cluster') === 'sin')!;
    expect(attr(sin, 'data-ok')).toBe('false');
    expect(svg).toContain('>Kubernetes API unreachable<');
    expect(texts(svg, 'peering-label')).toContain('pending-acceptance');
    const states = all(svg, /<path class="sync"[^>]*>/g).map((a) => attr(a, 'data-state'));
    expect(states.filter((s) => s === '0')).toHaveLength(3); // sin reads nobody
    expect(states.filter((s) => s === '1')).toHaveLength(1); // dub still connecting to sin
  });

  it.each([
    ['two healthy', healthy(2)],
    ['two broken', broken()],
    ['four mixed', fourMixed()],
  ])('%s: the PNG decodes at the SVG size', (_name, h) => {
    const { png, svg, width, height } = topologyPng(h);
    expect([width, height]).toEqual([Number(attr(svg, 'width')), Number(attr(svg, 'height'))]);
    expect(decodePng(png)).toMatchObject({ width, height });
    expect(width).toBe(1100);
  });
});

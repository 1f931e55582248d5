// Rasterizes the topology SVG with resvg (a maintained Rust SVG renderer) and the DejaVu Sans shipped as a
// package, so the picture looks the same on a slim container image that has no fonts.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import type { MeshHealth } from '../metrics/mesh-health.ts';
import { type TopologyOptions, topologySvg } from './svg.ts';

const require = createRequire(import.meta.url);
const FONT_DIR = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
const FONTS = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) => join(FONT_DIR, f));

export function svgToPng(svg: string): { png: Buffer; width: number; height: number } {
  const r = new Resvg(svg, {
    font: { fontFiles: FONTS, loadSystemFonts: false, defaultFontFamily: 'DejaVu Sans' },
    fitTo: { mode: 'original' },
  });
  const img = r.render();
  return { png: img.asPng(), width: img.width, height: img.height };
}

export function topologyPng(
  h: MeshHealth,
  opts: TopologyOptions = {},
): { png: Buffer; svg: string; width: number; height: number } {
  const svg = topologySvg(h, opts);
  return { svg, ...svgToPng(svg) };
}

// The mesh as a picture (SVG text built here, rasterized in png.ts): a box per region with its cluster (nodes
// Ready / desired, Calico), a line per VPC peering with its state and RTT, an arrow per ordered federation pair
// coloured by sync state, and what is failing in red with its reason, under the diagram.
import { type MeshHealth, type PathHealth, SYNC_STATES } from '../metrics/mesh-health.ts';
import {
  boxes,
  centre,
  DIAGRAM_TOP,
  diagramHeight,
  edgePoint,
  type Point,
  placeLabel,
  type Rect,
  WIDTH,
} from './layout.ts';

export const COLOURS = {
  ok: '#2e7d32',
  warn: '#ef8f00',
  fail: '#c62828',
  line: '#607d8b',
  text: '#1f2933',
  muted: '#5f6b7a',
};
const FONT = 'DejaVu Sans';
const ARROW_OFFSET = 16;
const MAX_PROBLEMS = 10;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const fmt = (n: number) => n.toFixed(1).replace(/\.0$/, '');

/** Colour of a sync state: InSync green; Connecting and ReSyncInProgress amber; the rest red. */
export function syncColour(state: number): string {
  return state === 2 ? COLOURS.ok : state === 1 || state === 3 ? COLOURS.warn : COLOURS.fail;
}

function text(
  x: number,
  y: number,
  s: string,
  o: { size?: number; fill?: string; bold?: boolean; anchor?: string; cls?: string } = {},
) {
  const attrs = [
    `x="${fmt(x)}"`,
    `y="${fmt(y)}"`,
    `font-family="${FONT}"`,
    `font-size="${o.size ?? 13}"`,
    `fill="${o.fill ?? COLOURS.text}"`,
    o.bold ? 'font-weight="bold"' : '',
    o.anchor ? `text-anchor="${o.anchor}"` : '',
    o.cls ? `class="${o.cls}"` : '',
  ].filter(Boolean);
  return `<text ${attrs.join(' ')}>${esc(s)}</text>`;
}

function labelBox(r: Rect, s: string, fill: string, cls: string, size = 12): string {
  return [
    `<rect x="${fmt(r.x)}" y="${fmt(r.y)}" width="${fmt(r.w)}" height="${fmt(r.h)}" rx="4" fill="#ffffff" stroke="${fill}" stroke-width="1"/>`,
    text(r.x + r.w / 2, r.y + r.h / 2 + size * 0.35, s, { size, fill, anchor: 'middle', cls }),
  ].join('');
}

function rttOf(paths: PathHealth[], a: string, b: string): number | undefined {
  const rtts = paths
    .filter((p) => (p.from === a && p.to === b) || (p.from === b && p.to === a))
    .map((p) => p.rttSeconds);
  const known = rtts.filter((r): r is number => r !== undefined);
  return known.length ? known.reduce((s, r) => s + r, 0) / known.length : undefined;
}

/** Every problem of the pass, one line each, for the list under the diagram (and the tests). */
export function problemsOf(h: MeshHealth): string[] {
  const out: string[] = [];
  for (const c of h.clusters) {
    if (!c.reachable) out.push(`${c.name}: ${c.reason ?? 'Kubernetes API unreachable'}`);
    else {
      if ((c.nodesReady ?? 0) < c.nodesDesired)
        out.push(`${c.name}: ${c.nodesReady ?? 0}/${c.nodesDesired} nodes Ready`);
      for (const t of c.calico) if (!t.available) out.push(`${c.name}: TigeraStatus ${t.component} ${t.text}`);
    }
  }
  for (const p of h.peerings) if (!p.ok) out.push(`peering ${p.a} <-> ${p.b}: ${p.detail}`);
  for (const s of h.syncs) {
    if (s.state !== 2) out.push(`${s.destination} reads ${s.source}: ${SYNC_STATES[s.state]} (${s.reason})`);
  }
  for (const p of h.paths) {
    if (p.failure) out.push(`ping ${p.from} -> ${p.to}: ${p.failure}`);
    else if (p.packetLoss > 0) out.push(`ping ${p.from} -> ${p.to}: ${Math.round(p.packetLoss * 100)}% packet loss`);
  }
  return out;
}

function clusterBox(r: Rect, c: MeshHealth['clusters'][number]): string {
  const bad = !c.reachable || (c.nodesReady ?? 0) < c.nodesDesired || c.calico.some((t) => !t.available);
  const stroke = bad ? COLOURS.fail : COLOURS.ok;
  const lines: string[] = [];
  const x = r.x + 14;
  lines.push(text(x, r.y + 24, c.region, { size: 15, bold: true }));
  lines.push(text(r.x + r.w - 14, r.y + 24, c.name, { size: 15, bold: true, anchor: 'end', fill: COLOURS.muted }));
  if (!c.reachable) {
    lines.push(text(x, r.y + 52, 'Kubernetes API unreachable', { fill: COLOURS.fail, bold: true }));
    lines.push(text(x, r.y + 74, cut(c.reason ?? '', 38), { size: 11, fill: COLOURS.fail }));
  } else {
    const ready = c.nodesReady ?? 0;
    lines.push(
      text(x, r.y + 52, `nodes ${ready}/${c.nodesDesired} Ready`, {
        fill: ready < c.nodesDesired ? COLOURS.fail : COLOURS.text,
      }),
    );
    const calico = c.calico.length
      ? c.calico.map((t) => `${t.component} ${t.available ? 'ok' : 'not Available'}`).join(', ')
      : 'Calico not installed';
    const calicoBad = c.calico.length === 0 || c.calico.some((t) => !t.available);
    lines.push(
      text(x, r.y + 76, cut(`Calico: ${calico}`, 40), { size: 12, fill: calicoBad ? COLOURS.fail : COLOURS.text }),
    );
  }
  lines.push(text(x, r.y + r.h - 14, `cluster ${c.name}`, { size: 11, fill: COLOURS.muted }));
  return [
    `<g class="cluster" data-cluster="${esc(c.name)}" data-region="${esc(c.region)}" data-ok="${!bad}">`,
    `<rect x="${fmt(r.x)}" y="${fmt(r.y)}" width="${r.w}" height="${r.h}" rx="10" fill="${bad ? '#fdecea' : '#f3f8f3'}" stroke="${stroke}" stroke-width="${bad ? 3 : 2}"/>`,
    ...lines,
    '</g>',
  ].join('');
}

function arrow(from: Point, to: Point, colour: string, attrs: string): string {
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  const len = Math.hypot(dx, dy) || 1;
  // Offset to the left of the direction of travel: A->B and B->A end up on opposite sides of the peering line.
  const nx = -dy / len;
  const ny = dx / len;
  const a = { x: from.x + nx * ARROW_OFFSET + (dx / len) * 6, y: from.y + ny * ARROW_OFFSET + (dy / len) * 6 };
  const b = { x: to.x + nx * ARROW_OFFSET - (dx / len) * 10, y: to.y + ny * ARROW_OFFSET - (dy / len) * 10 };
  const id = colour.slice(1);
  return `<path class="sync" ${attrs} d="M${fmt(a.x)},${fmt(a.y)} L${fmt(b.x)},${fmt(b.y)}" stroke="${colour}" stroke-width="3" fill="none" marker-end="url(#head-${id})"/>`;
}

export interface TopologyOptions {
  /** Shown in the title, e.g. the time of the pass; default the pass's own time in UTC. */
  subtitle?: string;
}

export function topologySvg(h: MeshHealth, opts: TopologyOptions = {}): string {
  const rects = boxes(h.clusters.length);
  const at = new Map(h.clusters.map((c, i) => [c.name, rects[i]]));
  const taken: Rect[] = [...rects];
  const parts: string[] = [];

  for (const p of h.peerings) {
    const ra = at.get(p.a);
    const rb = at.get(p.b);
    if (!ra || !rb) continue;
    const a = edgePoint(ra, centre(rb));
    const b = edgePoint(rb, centre(ra));
    const colour = p.ok ? COLOURS.line : COLOURS.fail;
    const rtt = rttOf(h.paths, p.a, p.b);
    const failed = h.paths.filter((x) => x.failure && [p.a, p.b].includes(x.from) && [p.a, p.b].includes(x.to));
    const pings = failed.map((x) => ` · ping ${x.from}→${x.to} fails`).join('');
    const label = `${p.state}${rtt !== undefined ? ` · ${Math.round(rtt * 1000)} ms` : ''}${pings}`;
    const labelColour = failed.length ? COLOURS.fail : colour;
    const dash = p.ok ? '' : ' stroke-dasharray="8 6"';
    parts.push(
      `<g class="peering" data-a="${esc(p.a)}" data-b="${esc(p.b)}" data-state="${esc(p.state)}">` +
        `<line x1="${fmt(a.x)}" y1="${fmt(a.y)}" x2="${fmt(b.x)}" y2="${fmt(b.y)}" stroke="${colour}" stroke-width="2"${dash}/>`,
    );
    for (const s of h.syncs.filter(
      (s) => (s.source === p.a && s.destination === p.b) || (s.source === p.b && s.destination === p.a),
    )) {
      const [from, to] = s.source === p.a ? [a, b] : [b, a];
      const attrs = `data-source="${esc(s.source)}" data-destination="${esc(s.destination)}" data-state="${s.state}"`;
      parts.push(arrow(from, to, syncColour(s.state), attrs));
    }
    parts.push(labelBox(placeLabel(label, a, b, 12, taken), label, labelColour, 'peering-label'), '</g>');
  }
  // Syncs between clusters with no peering entry still get their arrow (drawn straight between the boxes).
  for (const s of h.syncs) {
    if (
      h.peerings.some((p) => (p.a === s.source && p.b === s.destination) || (p.b === s.source && p.a === s.destination))
    )
      continue;
    const rs = at.get(s.source);
    const rd = at.get(s.destination);
    if (!rs || !rd) continue;
    const attrs = `data-source="${esc(s.source)}" data-destination="${esc(s.destination)}" data-state="${s.state}"`;
    parts.push(arrow(edgePoint(rs, centre(rd)), edgePoint(rd, centre(rs)), syncColour(s.state), attrs));
  }
  h.clusters.forEach((c, i) => parts.push(clusterBox(rects[i], c)));

  const problems = problemsOf(h);
  const shown = problems.slice(0, MAX_PROBLEMS);
  let y = DIAGRAM_TOP + diagramHeight(h.clusters.length) + 20;
  const legend: string[] = [];
  let lx = 30;
  for (const [label, colour] of [
    ['InSync', COLOURS.ok],
    ['Connecting / ReSyncInProgress', COLOURS.warn],
    ['NotConnecting / ConfigInComplete / failing', COLOURS.fail],
  ] as const) {
    legend.push(
      `<line x1="${lx}" y1="${y - 4}" x2="${lx + 28}" y2="${y - 4}" stroke="${colour}" stroke-width="3" marker-end="url(#head-${colour.slice(1)})"/>`,
    );
    legend.push(text(lx + 38, y, label, { size: 12, fill: COLOURS.muted }));
    lx += 38 + label.length * 7.2 + 40;
  }
  legend.push(
    text(WIDTH - 30, y, 'arrow: destination reads source (federation)', {
      size: 12,
      fill: COLOURS.muted,
      anchor: 'end',
    }),
  );
  y += 34;
  const list: string[] = [];
  if (problems.length === 0) {
    list.push(text(30, y, '✓ every check ok', { size: 14, fill: COLOURS.ok, bold: true, cls: 'all-ok' }));
    y += 24;
  } else {
    list.push(
      text(30, y, `${problems.length} problem${problems.length === 1 ? '' : 's'}`, {
        size: 14,
        fill: COLOURS.fail,
        bold: true,
      }),
    );
    y += 24;
    for (const p of shown) {
      list.push(text(30, y, `✗ ${cut(p, 140)}`, { size: 13, fill: COLOURS.fail, cls: 'problem' }));
      y += 22;
    }
    if (problems.length > shown.length) {
      list.push(
        text(30, y, `… and ${problems.length - shown.length} more (see /mesh status)`, {
          size: 13,
          fill: COLOURS.fail,
        }),
      );
      y += 22;
    }
  }
  const height = Math.ceil(y + 8);
  const when = opts.subtitle ?? new Date(h.at).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  const cost = h.hourlyCost !== undefined ? ` · $${h.hourlyCost.toFixed(2)}/hour` : '';
  const markers = [COLOURS.ok, COLOURS.warn, COLOURS.fail].map(
    (c) =>
      `<marker id="head-${c.slice(1)}" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="5" markerHeight="5" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${c}"/></marker>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}">`,
    `<defs>${markers.join('')}</defs>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    text(30, 40, `mesh ${h.mesh}`, { size: 22, bold: true, cls: 'title' }),
    text(WIDTH - 30, 40, `${h.clusters.length} clusters · ${when}${cost}`, {
      size: 13,
      fill: COLOURS.muted,
      anchor: 'end',
    }),
    ...parts,
    ...legend,
    ...list,
    '</svg>',
  ].join('\n');
}

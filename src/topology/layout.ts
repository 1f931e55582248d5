// Where things go in the topology picture: one box per cluster around a circle (side by side for two, a
// triangle for three, a square for four), and each label at the first spot along its line that overlaps no box
// and no label placed before it. Pure geometry, so tests can check that nothing overlaps.

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}
export interface Point {
  x: number;
  y: number;
}

export const BOX_W = 280;
export const BOX_H = 118;
export const WIDTH = 1100;
export const DIAGRAM_TOP = 70;
/** The diagram's height: two clusters side by side need less than a triangle or a square. */
export function diagramHeight(n: number): number {
  return n <= 2 ? 240 : 600;
}
const FONT_WIDTH = 0.6; // DejaVu Sans averages about 0.6 em per character

export function boxes(n: number): Rect[] {
  const cx = WIDTH / 2;
  const cy = DIAGRAM_TOP + diagramHeight(n) / 2;
  if (n === 1) return [{ x: cx - BOX_W / 2, y: cy - BOX_H / 2, w: BOX_W, h: BOX_H }];
  if (n === 2) {
    return [-1, 1].map((s) => ({ x: cx + s * 330 - BOX_W / 2, y: cy - BOX_H / 2, w: BOX_W, h: BOX_H }));
  }
  if (n === 4) {
    // A square: the diagonals cross in the middle, away from every box.
    const pts = [
      [-1, -1],
      [1, -1],
      [1, 1],
      [-1, 1],
    ];
    return pts.map(([sx, sy]) => ({ x: cx + sx * 350 - BOX_W / 2, y: cy + sy * 210 - BOX_H / 2, w: BOX_W, h: BOX_H }));
  }
  const rx = 360;
  const ry = 220;
  return Array.from({ length: n }, (_, i) => {
    const a = -Math.PI / 2 + (2 * Math.PI * i) / n + (n === 3 ? -Math.PI / 3 : 0);
    return { x: cx + rx * Math.cos(a) - BOX_W / 2, y: cy + ry * Math.sin(a) - BOX_H / 2, w: BOX_W, h: BOX_H };
  });
}

export const centre = (r: Rect): Point => ({ x: r.x + r.w / 2, y: r.y + r.h / 2 });

/** Where the segment from the centre of `r` towards `to` leaves `r`, `pad` pixels further out. */
export function edgePoint(r: Rect, to: Point, pad = 6): Point {
  const c = centre(r);
  const dx = to.x - c.x;
  const dy = to.y - c.y;
  const sx = dx === 0 ? Infinity : (r.w / 2 + pad) / Math.abs(dx);
  const sy = dy === 0 ? Infinity : (r.h / 2 + pad) / Math.abs(dy);
  const s = Math.min(sx, sy);
  return { x: c.x + dx * s, y: c.y + dy * s };
}

export function textRect(text: string, at: Point, size: number): Rect {
  const w = text.length * size * FONT_WIDTH + 10;
  const h = size + 8;
  return { x: at.x - w / 2, y: at.y - h / 2, w, h };
}

export function overlaps(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

/** A label's place along from→to: the first candidate that is clear of `taken` (which it then joins). */
export function placeLabel(text: string, from: Point, to: Point, size: number, taken: Rect[]): Rect {
  let first: Rect | undefined;
  for (const t of [0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74]) {
    const at = { x: from.x + (to.x - from.x) * t, y: from.y + (to.y - from.y) * t };
    const r = textRect(text, at, size);
    first ??= r;
    if (!taken.some((o) => overlaps(o, r))) {
      taken.push(r);
      return r;
    }
  }
  taken.push(first!);
  return first!;
}

import { encodePng, type Rgba } from './png-image.ts';

/** Rapport's accent colour (#243B6B), also the manifest's accentColor. */
const ACCENT: Rgba = [0x24, 0x3b, 0x6b, 255];
const WHITE: Rgba = [255, 255, 255, 255];
const CLEAR: Rgba = [0, 0, 0, 0];

/**
 * The two icons Teams asks for, drawn in code: a speech bubble with a check mark (a conversation that
 * is on record). `color.png` is 192×192, the symbol inside Teams' 120×120 safe area on the accent
 * colour; `outline.png` is 32×32, white on transparent, as Teams requires for the app bar.
 */
export function colorIcon(): Buffer {
  return drawIcon(192, 36, (inBubble, onCheck) => (onCheck ? ACCENT : inBubble ? WHITE : ACCENT));
}

/** @see colorIcon */
export function outlineIcon(): Buffer {
  return drawIcon(32, 2, (_inBubble, onCheck, onEdge) => (onEdge || onCheck ? WHITE : CLEAR), 0.09);
}

/**
 * Renders the symbol with 4×4 supersampling. Coordinates are normalised to the symbol's box (0..1)
 * inside `margin` pixels; `edge` > 0 draws the bubble as a ring of that width instead of filled.
 */
function drawIcon(
  size: number,
  margin: number,
  paint: (inBubble: boolean, onCheck: boolean, onEdge: boolean) => Rgba,
  edge = 0,
): Buffer {
  const box = size - 2 * margin;
  const SS = 4;
  return encodePng(size, size, (px, py) => {
    const sum = [0, 0, 0, 0];
    for (let sy = 0; sy < SS; sy++) {
      for (let sx = 0; sx < SS; sx++) {
        const x = (px + (sx + 0.5) / SS - margin) / box;
        const y = (py + (sy + 0.5) / SS - margin) / box;
        const d = bubbleDistance(x, y);
        const inBubble = d <= 0;
        const onEdge = edge > 0 && inBubble && d > -edge;
        const onCheck = (edge > 0 || inBubble) && checkDistance(x, y) < (edge > 0 ? 0.065 : 0.055);
        const c = paint(inBubble, onCheck, onEdge);
        // Premultiplied, so transparent samples do not darken the edges.
        for (let i = 0; i < 3; i++) sum[i] += (c[i] * c[3]) / 255;
        sum[3] += c[3];
      }
    }
    const a = sum[3] / (SS * SS);
    return a === 0 ? CLEAR : [(sum[0] / sum[3]) * 255, (sum[1] / sum[3]) * 255, (sum[2] / sum[3]) * 255, a];
  });
}

/** Signed distance to the bubble: a rounded rectangle (top 80%) with a tail at the bottom left. */
function bubbleDistance(x: number, y: number): number {
  const r = 0.18;
  const qx = Math.abs(x - 0.5) - (0.5 - r);
  const qy = Math.abs(y - 0.4) - (0.4 - r);
  const rect = Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
  return Math.min(rect, triangleDistance(x, y, [0.2, 0.6], [0.48, 0.6], [0.16, 0.98]));
}

/** Signed distance (an approximation good for drawing) to a triangle: the largest of its three edge distances, negative inside. */
function triangleDistance(
  x: number,
  y: number,
  a: readonly [number, number],
  b: readonly [number, number],
  c: readonly [number, number],
): number {
  const edge = (p: readonly [number, number], q: readonly [number, number]) => {
    const nx = q[1] - p[1];
    const ny = p[0] - q[0];
    return ((x - p[0]) * nx + (y - p[1]) * ny) / Math.hypot(nx, ny);
  };
  // Which side is inside depends on the winding: the centroid tells.
  const cx = (a[0] + b[0] + c[0]) / 3;
  const cy = (a[1] + b[1] + c[1]) / 3;
  const sign = (cx - a[0]) * (b[1] - a[1]) + (cy - a[1]) * (a[0] - b[0]) < 0 ? 1 : -1;
  return Math.max(sign * edge(a, b), sign * edge(b, c), sign * edge(c, a));
}

/** Distance to the check mark's two strokes. */
function checkDistance(x: number, y: number): number {
  return Math.min(segmentDistance(x, y, 0.28, 0.42, 0.43, 0.56), segmentDistance(x, y, 0.43, 0.56, 0.72, 0.26));
}

function segmentDistance(x: number, y: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(x - ax - t * dx, y - ay - t * dy);
}

/**
 * Rasterises a Scene to RGB pixels without native dependencies. Everything is drawn with hard edges on a
 * canvas SS× finer than the output (pixel centres sampled: scanline polygons with the nonzero rule, discs,
 * rectangles, bitmap-font glyphs), then each SS×SS block is averaged, which antialiases edges.
 */
import { ADVANCE, ASCENT, GLYPH_H, GLYPH_W, glyph } from './font.ts';
import { encodePng } from './png.ts';
import { parseColor, type ClipRect, type Prim, type Scene } from './scene.ts';

/** Supersampling factor per axis. */
const SS = 3;

type Box = { x0: number; y0: number; x1: number; y1: number };

class Canvas {
  readonly px: Uint8Array;
  private cx0 = 0;
  private cy0 = 0;
  private cx1: number;
  private cy1: number;
  constructor(
    readonly w: number,
    readonly h: number,
    bg: [number, number, number],
  ) {
    this.px = new Uint8Array(w * h * 3);
    const px = this.px;
    px[0] = bg[0];
    px[1] = bg[1];
    px[2] = bg[2];
    for (let n = 3; n < px.length; n *= 2) px.copyWithin(n, 0, Math.min(n, px.length - n)); // doubling fill
    this.cx1 = w;
    this.cy1 = h;
  }

  /** Restricts drawing to pixel centres inside [x0, x1) × [y0, y1) (canvas pixels), or the whole canvas. */
  clip(r?: Box): void {
    this.cx0 = Math.max(0, Math.ceil((r?.x0 ?? 0) - 0.5));
    this.cy0 = Math.max(0, Math.ceil((r?.y0 ?? 0) - 0.5));
    this.cx1 = Math.min(this.w, Math.ceil((r?.x1 ?? this.w) - 0.5));
    this.cy1 = Math.min(this.h, Math.ceil((r?.y1 ?? this.h) - 0.5));
  }

  /** Paints pixels j in row y whose centres lie in [xa, xb). */
  span(y: number, xa: number, xb: number, c: [number, number, number], a: number): void {
    if (y < this.cy0 || y >= this.cy1) return;
    const i0 = Math.max(this.cx0, Math.ceil(xa - 0.5));
    const i1 = Math.min(this.cx1, Math.ceil(xb - 0.5));
    const px = this.px;
    if (a >= 1) {
      for (let i = i0; i < i1; i++) {
        const o = (y * this.w + i) * 3;
        px[o] = c[0];
        px[o + 1] = c[1];
        px[o + 2] = c[2];
      }
    } else {
      for (let i = i0; i < i1; i++) {
        const o = (y * this.w + i) * 3;
        px[o] += (c[0] - px[o]) * a;
        px[o + 1] += (c[1] - px[o + 1]) * a;
        px[o + 2] += (c[2] - px[o + 2]) * a;
      }
    }
  }

  rect(x0: number, y0: number, x1: number, y1: number, c: [number, number, number], a = 1): void {
    const ya = Math.max(0, Math.ceil(y0 - 0.5));
    const yb = Math.min(this.h, Math.ceil(y1 - 0.5));
    for (let y = ya; y < yb; y++) this.span(y, x0, x1, c, a);
  }

  /** Fills a polygon (flat [x, y, …]) with the nonzero winding rule. */
  polygon(pts: number[], c: [number, number, number], a = 1): void {
    const n = pts.length / 2;
    if (n < 3) return;
    let ymin = Infinity;
    let ymax = -Infinity;
    for (let i = 1; i < pts.length; i += 2) {
      ymin = Math.min(ymin, pts[i]);
      ymax = Math.max(ymax, pts[i]);
    }
    const ya = Math.max(this.cy0, Math.ceil(ymin - 0.5));
    const yb = Math.min(this.cy1, Math.ceil(ymax - 0.5));
    const xs: number[] = [];
    const ws: number[] = [];
    for (let y = ya; y < yb; y++) {
      const yc = y + 0.5;
      xs.length = 0;
      ws.length = 0;
      for (let i = 0; i < n; i++) {
        const x0 = pts[2 * i];
        const y0 = pts[2 * i + 1];
        const j = (i + 1) % n;
        const x1 = pts[2 * j];
        const y1 = pts[2 * j + 1];
        if (y0 <= yc && y1 > yc) {
          xs.push(x0 + ((yc - y0) / (y1 - y0)) * (x1 - x0));
          ws.push(1);
        } else if (y1 <= yc && y0 > yc) {
          xs.push(x0 + ((yc - y0) / (y1 - y0)) * (x1 - x0));
          ws.push(-1);
        }
      }
      const order = xs.map((_, k) => k).sort((p, q) => xs[p] - xs[q]);
      let wind = 0;
      let from = 0;
      for (const k of order) {
        const before = wind;
        wind += ws[k];
        if (before === 0 && wind !== 0) from = xs[k];
        else if (before !== 0 && wind === 0) this.span(y, from, xs[k], c, a);
      }
    }
  }

  disc(cx: number, cy: number, r: number, c: [number, number, number], a = 1): void {
    const ya = Math.max(this.cy0, Math.ceil(cy - r - 0.5));
    const yb = Math.min(this.cy1, Math.ceil(cy + r - 0.5));
    for (let y = ya; y < yb; y++) {
      const dy = y + 0.5 - cy;
      const hw = Math.sqrt(Math.max(0, r * r - dy * dy));
      this.span(y, cx - hw, cx + hw, c, a);
    }
  }

  /** A stroked polyline with round joins and caps (opaque). */
  polyline(pts: number[], width: number, c: [number, number, number]): void {
    const r = width / 2;
    for (let i = 0; i + 3 < pts.length; i += 2) {
      const [x0, y0, x1, y1] = [pts[i], pts[i + 1], pts[i + 2], pts[i + 3]];
      const len = Math.hypot(x1 - x0, y1 - y0);
      if (len > 0) {
        const nx = (-(y1 - y0) / len) * r;
        const ny = ((x1 - x0) / len) * r;
        this.polygon([x0 + nx, y0 + ny, x1 + nx, y1 + ny, x1 - nx, y1 - ny, x0 - nx, y0 - ny], c);
      }
      if (width > 1.5) this.disc(x0, y0, r, c);
    }
    if (width > 1.5 && pts.length >= 2) this.disc(pts[pts.length - 2], pts[pts.length - 1], r, c);
  }

  text(s: string, x: number, y: number, size: number, c: [number, number, number], vertical: boolean): void {
    // (x, y) is the start of the baseline; glyph row r covers [y - (ASCENT - r)·size, … + size)
    let pen = 0;
    for (const ch of s) {
      const g = glyph(ch);
      for (let r = 0; r < GLYPH_H; r++) {
        const bits = g[r];
        if (!bits) continue;
        for (let col = 0; col < GLYPH_W; col++) {
          if (!(bits & (1 << (GLYPH_W - 1 - col)))) continue;
          const u = (pen + col) * size; // along the text
          const v = (r - ASCENT) * size; // below the baseline
          if (!vertical) this.rect(x + u, y + v, x + u + size, y + v + size, c);
          else this.rect(x + v, y - u - size, x + v + size, y - u, c); // rotated −90°: along → up
        }
      }
      pen += ADVANCE;
    }
  }
}

function dashed(pts: number[], dash: [number, number]): number[][] {
  const out: number[][] = [];
  let cur: number[] = [];
  let on = true;
  let left = dash[0];
  for (let i = 0; i + 3 < pts.length; i += 2) {
    let [x0, y0] = [pts[i], pts[i + 1]];
    const [x1, y1] = [pts[i + 2], pts[i + 3]];
    let seg = Math.hypot(x1 - x0, y1 - y0);
    const ux = seg > 0 ? (x1 - x0) / seg : 0;
    const uy = seg > 0 ? (y1 - y0) / seg : 0;
    if (on && cur.length === 0) cur.push(x0, y0);
    while (seg > left) {
      x0 += ux * left;
      y0 += uy * left;
      seg -= left;
      if (on) {
        cur.push(x0, y0);
        out.push(cur);
        cur = [];
      } else cur = [x0, y0];
      on = !on;
      left = on ? dash[0] : dash[1];
    }
    left -= seg;
    if (on) cur.push(x1, y1);
  }
  if (on && cur.length >= 4) out.push(cur);
  return out;
}

/** RGB pixels (width·ratio × height·ratio) of a scene. */
export function rasterize(scene: Scene, ratio = 2): { width: number; height: number; rgb: Uint8Array } {
  const W = Math.round(scene.width * ratio);
  const H = Math.round(scene.height * ratio);
  const k = ratio * SS;
  const cv = new Canvas(W * SS, H * SS, parseColor(scene.background));
  const clipOf = (i?: number): Box | undefined => {
    if (i === undefined) return undefined;
    const r: ClipRect = scene.clips[i];
    return { x0: r.x * k, y0: r.y * k, x1: (r.x + r.w) * k, y1: (r.y + r.h) * k };
  };
  for (const p of scene.prims) drawPrim(cv, p, k, clipOf('clip' in p ? p.clip : undefined));
  // Box-filter SS×SS blocks down to the output.
  const out = new Uint8Array(W * H * 3);
  const src = cv.px;
  const sw = W * SS;
  const norm = 1 / (SS * SS);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let dy = 0; dy < SS; dy++) {
        let o = ((y * SS + dy) * sw + x * SS) * 3;
        for (let dx = 0; dx < SS; dx++, o += 3) {
          r += src[o];
          g += src[o + 1];
          b += src[o + 2];
        }
      }
      const q = (y * W + x) * 3;
      out[q] = Math.round(r * norm);
      out[q + 1] = Math.round(g * norm);
      out[q + 2] = Math.round(b * norm);
    }
  }
  return { width: W, height: H, rgb: out };
}

function drawPrim(cv: Canvas, p: Prim, k: number, clip: Box | undefined): void {
  cv.clip(clip);
  const S = (v: number) => v * k;
  const Sa = (a: number[]) => a.map(S);
  switch (p.t) {
    case 'rect':
      if (p.fill) cv.rect(S(p.x), S(p.y), S(p.x + p.w), S(p.y + p.h), parseColor(p.fill));
      if (p.stroke) {
        const x0 = S(p.x);
        const y0 = S(p.y);
        const x1 = S(p.x + p.w);
        const y1 = S(p.y + p.h);
        cv.polyline([x0, y0, x1, y0, x1, y1, x0, y1, x0, y0], S(p.sw ?? 1), parseColor(p.stroke));
      }
      break;
    case 'line': {
      const c = parseColor(p.stroke);
      const pts = Sa(p.pts);
      if (p.dash) for (const d of dashed(pts, [S(p.dash[0]), S(p.dash[1])])) cv.polyline(d, S(p.sw), c);
      else cv.polyline(pts, S(p.sw), c);
      break;
    }
    case 'polygon':
      cv.polygon(Sa(p.pts), parseColor(p.fill), p.opacity);
      break;
    case 'circle':
      if (p.stroke) cv.disc(S(p.cx), S(p.cy), S(p.r + (p.sw ?? 1) / 2), parseColor(p.stroke));
      cv.disc(S(p.cx), S(p.cy), S(p.stroke ? p.r - (p.sw ?? 1) / 2 : p.r), parseColor(p.fill));
      break;
    case 'text': {
      const w = ([...p.s].length * ADVANCE - 1) * p.size;
      const off = p.anchor === 'start' ? 0 : p.anchor === 'middle' ? -w / 2 : -w;
      if (!p.vertical) cv.text(p.s, S(p.x + off), S(p.y), S(p.size), parseColor(p.color), false);
      else cv.text(p.s, S(p.x), S(p.y - off), S(p.size), parseColor(p.color), true);
      break;
    }
    default: {
      const never: never = p;
      throw new Error(`unknown primitive ${JSON.stringify(never)}`);
    }
  }
}

/** PNG bytes of a scene. */
export function scenePng(scene: Scene, ratio = 2): Uint8Array {
  const { width, height, rgb } = rasterize(scene, ratio);
  return encodePng(width, height, rgb, 3);
}

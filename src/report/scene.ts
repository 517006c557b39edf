/**
 * A chart as a flat list of drawing primitives in figure units (1 unit = 1 CSS pixel). The SVG writer and
 * the PNG rasteriser both draw a Scene, so the two outputs show the same picture.
 */

export interface ClipRect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Colours are '#rrggbb'; opacity is separate. */
export type Prim =
  | { t: 'rect'; x: number; y: number; w: number; h: number; fill?: string; stroke?: string; sw?: number; clip?: number }
  | {
      t: 'line';
      /** Flat [x0, y0, x1, y1, …]. */
      pts: number[];
      stroke: string;
      sw: number;
      /** Dash and gap lengths. */
      dash?: [number, number];
      clip?: number;
      series?: string;
    }
  | { t: 'polygon'; pts: number[]; fill: string; opacity: number; clip?: number; series?: string }
  | { t: 'circle'; cx: number; cy: number; r: number; fill: string; stroke?: string; sw?: number; clip?: number; series?: string }
  | {
      t: 'text';
      x: number;
      y: number;
      s: string;
      /** Font pixel size in units: caps are 7·size tall, each character advances 6·size. */
      size: number;
      /** Horizontal anchor of (x, y); y is the baseline. */
      anchor: 'start' | 'middle' | 'end';
      color: string;
      /** Rotate −90° about (x, y) (vertical text reading bottom to top). */
      vertical?: boolean;
    };

export interface Scene {
  width: number;
  height: number;
  background: string;
  clips: ClipRect[];
  prims: Prim[];
  title?: string;
}

/** Parses '#rgb' / '#rrggbb' into [r, g, b]. */
export function parseColor(c: string): [number, number, number] {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(c);
  if (!m) throw new Error(`bad colour ${JSON.stringify(c)}: expected #rgb or #rrggbb`);
  let h = m[1];
  if (h.length === 3) h = h[0] + h[0] + h[1] + h[1] + h[2] + h[2];
  return [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16)];
}

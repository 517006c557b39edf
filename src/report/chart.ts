/**
 * Charts for reports: line charts with shaded interval bands, several series, several panels (small
 * multiples), scatter plots with labelled points, reference lines; ticks, axis labels, legend, titles.
 * One spec → one Scene → SVG (sceneSvg) and PNG (rasterised here, no native dependencies).
 *
 *   writeChart('results/forgetting', { title: 'Forgetting', panels: [{ xLabel: 'task', yLabel: 'ppl',
 *     series: [{ name: 'EWC', x, y, lower, upper }] }] })   // → forgetting.svg + forgetting.png
 */
import { writeFileAtomic } from '../util/atomic.ts';
import { EwcError } from '../util/errors.ts';
import { textWidth } from './font.ts';
import { scenePng } from './raster.ts';
import { axisFraction, linearAxis, logAxis, type Axis } from './scale.ts';
import type { Prim, Scene } from './scene.ts';
import { sceneSvg } from './svg.ts';

export interface SeriesSpec {
  name: string;
  x: number[];
  y: number[];
  /** Shaded band from lower[i] to upper[i] (e.g. a 95% interval); both or neither. */
  lower?: number[];
  upper?: number[];
  /** '#rrggbb'; by default a palette colour fixed per series name across panels. */
  color?: string;
  /** Default 'line'; 'points' for a scatter. */
  style?: 'line' | 'points' | 'line+points';
  dash?: boolean;
  /** Line width in px (default 2). */
  width?: number;
  /** Text next to each point (undefined / '' for none). */
  labels?: (string | undefined)[];
}

export interface PanelSpec {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  series: SeriesSpec[];
  xLog?: boolean;
  yLog?: boolean;
  xMin?: number;
  xMax?: number;
  yMin?: number;
  yMax?: number;
  /** Horizontal reference lines (dashed). */
  hLines?: { y: number; label?: string; color?: string }[];
  /** Replace the x ticks (e.g. task names at 1, 2, 3). */
  xTicks?: { value: number; label: string }[];
}

export interface ChartSpec {
  title?: string;
  panels: PanelSpec[];
  /** Panels per row (default: up to 3). */
  columns?: number;
  /** Size of one panel in px (default 420 × 300). */
  panelWidth?: number;
  panelHeight?: number;
  /** Default: shown when there are two or more series names. */
  legend?: boolean;
  /** PNG pixels per px (default 2). */
  pixelRatio?: number;
}

/** Tableau 10 colours. */
export const PALETTE = [
  '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf',
];

const INK = '#222222';
const AXIS = '#555555';
const GRID = '#e8e8e8';
const TICK = 1; // font size of tick labels (caps 7 px)
const LABEL = 1.17; // axis labels
const PTITLE = 1.5; // panel titles
const FTITLE = 2; // figure title
const LEG = 1.17;

function validate(spec: ChartSpec): void {
  if (!Array.isArray(spec.panels) || spec.panels.length === 0) {
    throw new EwcError('chart: expected at least one panel in spec.panels, found none.');
  }
  spec.panels.forEach((p, i) =>
    p.series.forEach((s) => {
      const where = `chart panel ${i}${p.title ? ` (${p.title})` : ''}, series ${JSON.stringify(s.name)}`;
      if (s.x.length !== s.y.length) throw new EwcError(`${where}: x has ${s.x.length} values, y has ${s.y.length}.`);
      if ((s.lower === undefined) !== (s.upper === undefined)) {
        throw new EwcError(`${where}: give both lower and upper for a band, or neither.`);
      }
      for (const [k, a] of [['lower', s.lower], ['upper', s.upper], ['labels', s.labels]] as const) {
        if (a && a.length !== s.x.length) throw new EwcError(`${where}: ${k} has ${a.length} values, x has ${s.x.length}.`);
      }
    }),
  );
}

function colorMap(spec: ChartSpec): Map<string, string> {
  const m = new Map<string, string>();
  for (const p of spec.panels) {
    for (const s of p.series) {
      if (!m.has(s.name)) m.set(s.name, s.color ?? PALETTE[m.size % PALETTE.length]);
    }
  }
  return m;
}

function extent(vals: number[], log: boolean): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of vals) {
    if (!Number.isFinite(v) || (log && v <= 0)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

function makeAxis(vals: number[], log: boolean | undefined, fixMin?: number, fixMax?: number): Axis {
  const [lo, hi] = extent(vals, !!log);
  if (log) return logAxis(lo, hi, { fixMin, fixMax });
  return linearAxis(lo, hi, { fixMin, fixMax });
}

/** Builds the scene of a chart (shared by the SVG and PNG outputs). */
export function chartScene(spec: ChartSpec): Scene {
  validate(spec);
  const colors = colorMap(spec);
  const pw = spec.panelWidth ?? 420;
  const ph = spec.panelHeight ?? 300;
  const cols = Math.max(1, Math.min(spec.columns ?? 3, spec.panels.length));
  const rows = Math.ceil(spec.panels.length / cols);
  const width = cols * pw;
  const titleH = spec.title ? 34 : 0;
  const showLegend = spec.legend ?? colors.size >= 2;
  // Legend entries wrap into rows across the figure width.
  const legendItems = showLegend ? [...colors.keys()] : [];
  const legendRows: string[][] = [];
  {
    let row: string[] = [];
    let used = 20;
    for (const name of legendItems) {
      const w = 30 + textWidth(name) * LEG + 18;
      if (row.length > 0 && used + w > width - 20) {
        legendRows.push(row);
        row = [];
        used = 20;
      }
      row.push(name);
      used += w;
    }
    if (row.length) legendRows.push(row);
  }
  const legendH = legendRows.length ? legendRows.length * 20 + 12 : 0;
  const height = titleH + rows * ph + legendH;
  const scene: Scene = { width, height, background: '#ffffff', clips: [], prims: [], title: spec.title };
  const P = scene.prims;
  if (spec.title) {
    P.push({ t: 'text', x: width / 2, y: 24, s: spec.title, size: FTITLE, anchor: 'middle', color: INK });
  }
  spec.panels.forEach((panel, i) => {
    const ox = (i % cols) * pw;
    const oy = titleH + Math.floor(i / cols) * ph;
    drawPanel(scene, panel, ox, oy, pw, ph, colors);
  });
  // Legend
  let ly = titleH + rows * ph + 16;
  for (const row of legendRows) {
    const total = row.reduce((s, name) => s + 30 + textWidth(name) * LEG + 18, 0) - 18;
    let lx = (width - total) / 2;
    for (const name of row) {
      const c = colors.get(name)!;
      const style = styleOf(spec, name);
      if (style.band) P.push({ t: 'rect', x: lx, y: ly - 8, w: 24, h: 12, fill: mix(c, 0.22) });
      if (style.line) P.push({ t: 'line', pts: [lx, ly - 2, lx + 24, ly - 2], stroke: c, sw: 2, dash: style.dash ? [5, 3] : undefined, series: name });
      if (style.points) P.push({ t: 'circle', cx: lx + 12, cy: ly - 2, r: 3.5, fill: c, series: name });
      P.push({ t: 'text', x: lx + 30, y: ly + 2, s: name, size: LEG, anchor: 'start', color: INK });
      lx += 30 + textWidth(name) * LEG + 18;
    }
    ly += 20;
  }
  return scene;
}

function styleOf(spec: ChartSpec, name: string): { line: boolean; points: boolean; band: boolean; dash: boolean } {
  const r = { line: false, points: false, band: false, dash: false };
  for (const p of spec.panels) {
    for (const s of p.series) {
      if (s.name !== name) continue;
      const st = s.style ?? 'line';
      r.line ||= st !== 'points';
      r.points ||= st !== 'line';
      r.band ||= s.lower !== undefined;
      r.dash ||= !!s.dash;
    }
  }
  return r;
}

/** Blends a colour with white: the opaque equivalent of `c` at opacity a on white. */
function mix(c: string, a: number): string {
  const v = [1, 3, 5].map((k) => parseInt(c.slice(k, k + 2), 16));
  return '#' + v.map((x) => Math.round(255 + (x - 255) * a).toString(16).padStart(2, '0')).join('');
}

function drawPanel(scene: Scene, panel: PanelSpec, ox: number, oy: number, pw: number, ph: number, colors: Map<string, string>): void {
  const P = scene.prims;
  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of panel.series) {
    xs.push(...s.x);
    ys.push(...s.y, ...(s.lower ?? []), ...(s.upper ?? []));
  }
  for (const h of panel.hLines ?? []) ys.push(h.y);
  const xAxis = makeAxis(xs, panel.xLog, panel.xMin, panel.xMax);
  const yAxis = makeAxis(ys, panel.yLog, panel.yMin, panel.yMax);
  if (panel.xTicks) {
    xAxis.ticks = panel.xTicks.map((t) => t.value);
    xAxis.labels = panel.xTicks.map((t) => t.label);
    if (panel.xMin === undefined && panel.xTicks.length) xAxis.min = Math.min(xAxis.min, ...xAxis.ticks);
    if (panel.xMax === undefined && panel.xTicks.length) xAxis.max = Math.max(xAxis.max, ...xAxis.ticks);
  }
  const yTickW = Math.max(0, ...yAxis.labels.map((l) => textWidth(l) * TICK));
  const top = oy + (panel.title ? 30 : 12);
  const left = ox + 10 + (panel.yLabel ? 16 : 0) + yTickW + 8;
  const right = ox + pw - 16;
  const bottom = oy + ph - (panel.xLabel ? 40 : 24);
  const w = Math.max(10, right - left);
  const h = Math.max(10, bottom - top);
  const X = (v: number) => left + axisFraction(xAxis, v) * w;
  const Y = (v: number) => top + h - axisFraction(yAxis, v) * h;
  const clip = scene.clips.push({ x: left, y: top, w, h }) - 1;
  // markers may overhang the plot frame by their radius, not beyond the panel
  const cellClip = scene.clips.push({ x: ox, y: oy, w: pw, h: ph }) - 1;

  if (panel.title) P.push({ t: 'text', x: left + w / 2, y: oy + 20, s: panel.title, size: PTITLE, anchor: 'middle', color: INK });
  // grid + ticks
  yAxis.ticks.forEach((t, k) => {
    const y = Y(t);
    if (!(y >= top - 0.5 && y <= top + h + 0.5)) return;
    P.push({ t: 'line', pts: [left, y, left + w, y], stroke: GRID, sw: 1 });
    P.push({ t: 'line', pts: [left - 4, y, left, y], stroke: AXIS, sw: 1 });
    P.push({ t: 'text', x: left - 7, y: y + 3.5, s: yAxis.labels[k], size: TICK, anchor: 'end', color: INK });
  });
  xAxis.ticks.forEach((t, k) => {
    const x = X(t);
    if (!(x >= left - 0.5 && x <= left + w + 0.5)) return;
    P.push({ t: 'line', pts: [x, top, x, top + h], stroke: GRID, sw: 1 });
    P.push({ t: 'line', pts: [x, top + h, x, top + h + 4], stroke: AXIS, sw: 1 });
    P.push({ t: 'text', x, y: top + h + 15, s: xAxis.labels[k], size: TICK, anchor: 'middle', color: INK });
  });
  if (panel.xLabel) {
    P.push({ t: 'text', x: left + w / 2, y: oy + ph - 10, s: panel.xLabel, size: LABEL, anchor: 'middle', color: INK });
  }
  if (panel.yLabel) {
    P.push({ t: 'text', x: ox + 18, y: top + h / 2, s: panel.yLabel, size: LABEL, anchor: 'middle', color: INK, vertical: true });
  }
  // bands (translucent, so overlapping bands stay visible)
  for (const s of panel.series) {
    if (!s.lower || !s.upper) continue;
    const c = colors.get(s.name)!;
    for (const run of finiteRuns(s.x.length, (i) => [X(s.x[i]), Y(s.lower![i]), Y(s.upper![i])])) {
      const up = run.flatMap(([x, , yu]) => [x, yu]);
      const lo = run.reverse().flatMap(([x, yl]) => [x, yl]);
      P.push({ t: 'polygon', pts: [...up, ...lo], fill: c, opacity: 0.2, clip, series: s.name });
    }
  }
  // reference lines
  for (const hl of panel.hLines ?? []) {
    const y = Y(hl.y);
    if (!Number.isFinite(y)) continue;
    P.push({ t: 'line', pts: [left, y, left + w, y], stroke: hl.color ?? '#888888', sw: 1.2, dash: [6, 4], clip });
    if (hl.label) P.push({ t: 'text', x: left + w - 4, y: y - 4, s: hl.label, size: TICK, anchor: 'end', color: hl.color ?? '#666666' });
  }
  // lines, then points
  for (const s of panel.series) {
    if ((s.style ?? 'line') === 'points') continue;
    const c = colors.get(s.name)!;
    for (const run of finiteRuns(s.x.length, (i) => [X(s.x[i]), Y(s.y[i])])) {
      if (run.length === 1) P.push({ t: 'circle', cx: run[0][0], cy: run[0][1], r: (s.width ?? 2) * 0.9, fill: c, clip, series: s.name });
      else P.push({ t: 'line', pts: run.flat(), stroke: c, sw: s.width ?? 2, dash: s.dash ? [6, 4] : undefined, clip, series: s.name });
    }
  }
  for (const s of panel.series) {
    if ((s.style ?? 'line') === 'line') continue;
    const c = colors.get(s.name)!;
    for (let i = 0; i < s.x.length; i++) {
      const [x, y] = [X(s.x[i]), Y(s.y[i])];
      const inside = x >= left - 0.5 && x <= left + w + 0.5 && y >= top - 0.5 && y <= top + h + 0.5; // false for NaN
      if (inside) P.push({ t: 'circle', cx: x, cy: y, r: 4, fill: c, stroke: '#ffffff', sw: 1, clip: cellClip, series: s.name });
    }
  }
  // point labels, nudged to avoid each other
  const taken: [number, number, number, number][] = [];
  for (const s of panel.series) {
    s.labels?.forEach((lab, i) => {
      if (!lab) return;
      const [x, y] = [X(s.x[i]), Y(s.y[i])];
      if (!Number.isFinite(x) || !Number.isFinite(y)) return;
      const tw = textWidth(lab) * TICK;
      const cands: [number, number][] = [[x + 6, y - 6], [x + 6, y + 13], [x - 6 - tw, y - 6], [x - 6 - tw, y + 13]];
      let pick = cands[0];
      for (const cand of cands) {
        const box: [number, number, number, number] = [cand[0], cand[1] - 8, cand[0] + tw, cand[1] + 1];
        const inside = box[0] >= ox && box[2] <= ox + pw && box[1] >= oy && box[3] <= oy + ph;
        if (inside && !taken.some((t) => box[0] < t[2] && box[2] > t[0] && box[1] < t[3] && box[3] > t[1])) {
          pick = cand;
          break;
        }
      }
      taken.push([pick[0], pick[1] - 8, pick[0] + tw, pick[1] + 1]);
      P.push({ t: 'text', x: pick[0], y: pick[1], s: lab, size: TICK, anchor: 'start', color: INK });
    });
  }
  // frame
  P.push({ t: 'rect', x: left, y: top, w, h, stroke: AXIS, sw: 1 });
}

/** Splits indices 0..n-1 into runs where every mapped coordinate is finite. */
function finiteRuns<T extends number[]>(n: number, at: (i: number) => T): T[][] {
  const runs: T[][] = [];
  let cur: T[] = [];
  for (let i = 0; i < n; i++) {
    const p = at(i);
    if (p.every(Number.isFinite)) cur.push(p);
    else if (cur.length) {
      runs.push(cur);
      cur = [];
    }
  }
  if (cur.length) runs.push(cur);
  return runs;
}

/** The chart as an SVG document. */
export function chartSvg(spec: ChartSpec): string {
  return sceneSvg(chartScene(spec));
}

/** The chart as PNG bytes (width·pixelRatio × height·pixelRatio). */
export function chartPng(spec: ChartSpec): Uint8Array {
  return scenePng(chartScene(spec), spec.pixelRatio ?? 2);
}

/** Writes `<path>.svg` and `<path>.png` atomically; returns both paths. */
export function writeChart(pathWithoutExt: string, spec: ChartSpec): { svg: string; png: string } {
  const scene = chartScene(spec);
  const svg = `${pathWithoutExt}.svg`;
  const png = `${pathWithoutExt}.png`;
  writeFileAtomic(svg, sceneSvg(scene));
  writeFileAtomic(png, scenePng(scene, spec.pixelRatio ?? 2));
  return { svg, png };
}

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chartPng, chartScene, chartSvg, writeChart, type ChartSpec } from '../../src/report/chart.ts';
import { decodePng } from '../../src/report/png.ts';
import { linearAxis, logAxis, niceStep } from '../../src/report/scale.ts';
import { EwcError } from '../../src/util/errors.ts';
import { scratch } from '../io/helpers.ts';

function pixel(png: ReturnType<typeof decodePng>, x: number, y: number): [number, number, number] {
  const o = (Math.round(y) * png.width + Math.round(x)) * png.channels;
  return [png.pixels[o], png.pixels[o + 1], png.pixels[o + 2]];
}

/** One panel, fixed axes [0, 10] × [0, 10], a red line at y = 5 with a blue band 6..8 elsewhere. */
const spec: ChartSpec = {
  title: 'Test <chart>',
  panels: [
    {
      title: 'panel A',
      xLabel: 'step',
      yLabel: 'loss',
      xMin: 0,
      xMax: 10,
      yMin: 0,
      yMax: 10,
      series: [
        { name: 'flat', x: [0, 10], y: [5, 5], color: '#ff0000', width: 3 },
        { name: 'band', x: [0, 10], y: [7, 7], lower: [6, 6], upper: [8, 8], color: '#0000ff', width: 1 },
      ],
    },
  ],
};

describe('scales', () => {
  it('nice steps and ticks', () => {
    expect(niceStep(10, 5)).toBe(2);
    expect(niceStep(1, 4)).toBe(0.25);
    expect(niceStep(0.7, 5)).toBe(0.2);
    const a = linearAxis(0.13, 0.91);
    expect(a.ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(a.labels).toEqual(['0', '0.2', '0.4', '0.6', '0.8', '1.0']);
    expect(linearAxis(3, 3).ticks.length).toBeGreaterThan(1); // degenerate range widened
    expect(linearAxis(2, 9, { fixMin: 0, fixMax: 10 })).toMatchObject({ min: 0, max: 10 });
    const l = logAxis(0.003, 20);
    expect(l.ticks).toEqual([0.001, 0.01, 0.1, 1, 10, 100]);
    expect(l.labels).toEqual(['0.001', '0.01', '0.1', '1', '10', '100']);
    expect(logAxis(1, 50).ticks).toEqual([1, 2, 5, 10, 20, 50, 100]);
  });
});

describe('charts', () => {
  it('draws the line and the band where the data are (PNG pixels)', () => {
    const scene = chartScene(spec);
    const plot = scene.clips[0]; // plot area of panel 0
    const png = decodePng(chartPng(spec));
    expect(png.width).toBe(scene.width * 2);
    expect(png.height).toBe(scene.height * 2);
    const X = (v: number) => 2 * (plot.x + (v / 10) * plot.w);
    const Y = (v: number) => 2 * (plot.y + plot.h - (v / 10) * plot.h);
    // on the red line
    for (const xv of [1.3, 5.1, 8.7]) {
      const [r, g, b] = pixel(png, X(xv), Y(5));
      expect(r).toBeGreaterThan(200);
      expect(g).toBeLessThan(80);
      expect(b).toBeLessThan(80);
    }
    // inside the band, away from its centre line: a light blue tint (blue ≫ red, not white)
    const [r, g, b] = pixel(png, X(3.3), Y(6.5));
    expect(b).toBeGreaterThan(200);
    expect(r).toBeLessThan(230);
    expect(r).toBeGreaterThan(150);
    expect(b - r).toBeGreaterThan(25);
    // empty plot area (between grid lines) stays white
    expect(pixel(png, X(3.3), Y(3))).toEqual([255, 255, 255]);
    // outside the figure content: white background in the corner
    expect(pixel(png, 1, png.height - 2)).toEqual([255, 255, 255]);
  });

  it('SVG contains every series, the legend, escaped titles and clip paths', () => {
    const svg = chartSvg(spec);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('Test &lt;chart&gt;');
    expect(svg).not.toContain('<chart>');
    expect(svg).toMatch(/<polyline[^>]*stroke="#ff0000"[^>]*data-series="flat"/);
    expect(svg).toMatch(/<polygon[^>]*fill="#0000ff" fill-opacity="0.2"[^>]*data-series="band"/);
    expect(svg).toContain('>flat</text>'); // legend
    expect(svg).toContain('>band</text>');
    expect(svg).toContain('>loss</text>');
    expect(svg).toContain('<clipPath id="clip0">');
  });

  it('lays out small multiples in a grid with a shared legend and labelled scatter points', () => {
    const x = [1, 2, 3];
    const s: ChartSpec = {
      columns: 2,
      panelWidth: 200,
      panelHeight: 150,
      panels: ['a', 'b', 'c'].map((t, i) => ({
        title: t,
        series: [
          { name: 'ewc', x, y: x.map((v) => v * (i + 1)) },
          { name: 'pts', x, y: x, style: 'points' as const, labels: ['p1', undefined, 'p3'] },
        ],
      })),
    };
    const scene = chartScene(s);
    expect(scene.width).toBe(400);
    expect(scene.height).toBeGreaterThan(300); // 2 rows + legend
    const svg = chartSvg(s);
    expect(svg.match(/<polyline[^>]*data-series="ewc"/g)).toHaveLength(4); // 3 panels + legend
    expect(svg.match(/<circle[^>]*data-series="pts"/g)).toHaveLength(3 * 3 + 1);
    expect(svg.match(/>p1<\/text>/g)).toHaveLength(3);
    expect(svg).not.toContain('>undefined<');
    const png = decodePng(chartPng({ ...s, pixelRatio: 1 }));
    expect([png.width, png.height]).toEqual([scene.width, scene.height]);
  });

  it('breaks lines at missing values and rejects inconsistent series', () => {
    const svg = chartSvg({ panels: [{ series: [{ name: 'gap', x: [0, 1, 2, 3, 4], y: [1, 2, NaN, 3, 4] }] }] });
    expect(svg.match(/<polyline[^>]*data-series="gap"/g)).toHaveLength(2);
    expect(() => chartSvg({ panels: [{ series: [{ name: 's', x: [1, 2], y: [1] }] }] })).toThrow(EwcError);
    expect(() => chartSvg({ panels: [{ series: [{ name: 's', x: [1], y: [1], lower: [0] }] }] })).toThrow(
      /give both lower and upper/,
    );
    expect(() => chartSvg({ panels: [] })).toThrow(/at least one panel/);
  });

  it('writeChart writes .svg and .png atomically', () => {
    const dir = scratch('ewc-chart-');
    const out = writeChart(join(dir, 'fig'), spec);
    expect(out).toEqual({ svg: join(dir, 'fig.svg'), png: join(dir, 'fig.png') });
    expect(readdirSync(dir).sort()).toEqual(['fig.png', 'fig.svg']);
    expect(decodePng(readFileSync(out.png)).width).toBeGreaterThan(0);
    expect(readFileSync(out.svg, 'utf8')).toContain('data-series="flat"');
  });
});

/** Writes a Scene as a standalone SVG document (text in a monospace font sized like the bitmap font). */
import type { Prim, Scene } from './scene.ts';

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const n = (v: number) => String(Math.round(v * 100) / 100);
const pts = (a: number[]) => {
  const out: string[] = [];
  for (let i = 0; i + 1 < a.length; i += 2) out.push(`${n(a[i])},${n(a[i + 1])}`);
  return out.join(' ');
};

function prim(p: Prim): string {
  const clip = 'clip' in p && p.clip !== undefined ? ` clip-path="url(#clip${p.clip})"` : '';
  const ser = 'series' in p && p.series !== undefined ? ` data-series="${escapeXml(p.series)}"` : '';
  switch (p.t) {
    case 'rect':
      return (
        `<rect x="${n(p.x)}" y="${n(p.y)}" width="${n(p.w)}" height="${n(p.h)}" fill="${p.fill ?? 'none'}"` +
        (p.stroke ? ` stroke="${p.stroke}" stroke-width="${n(p.sw ?? 1)}"` : '') +
        `${clip}/>`
      );
    case 'line':
      return (
        `<polyline points="${pts(p.pts)}" fill="none" stroke="${p.stroke}" stroke-width="${n(p.sw)}" ` +
        `stroke-linejoin="round" stroke-linecap="round"` +
        (p.dash ? ` stroke-dasharray="${n(p.dash[0])} ${n(p.dash[1])}"` : '') +
        `${clip}${ser}/>`
      );
    case 'polygon':
      return `<polygon points="${pts(p.pts)}" fill="${p.fill}" fill-opacity="${n(p.opacity)}" stroke="none"${clip}${ser}/>`;
    case 'circle':
      return (
        `<circle cx="${n(p.cx)}" cy="${n(p.cy)}" r="${n(p.r)}" fill="${p.fill}"` +
        (p.stroke ? ` stroke="${p.stroke}" stroke-width="${n(p.sw ?? 1)}"` : '') +
        `${clip}${ser}/>`
      );
    case 'text': {
      const rot = p.vertical ? ` transform="rotate(-90 ${n(p.x)} ${n(p.y)})"` : '';
      return (
        `<text x="${n(p.x)}" y="${n(p.y)}" font-size="${n(10 * p.size)}" text-anchor="${p.anchor}" ` +
        `fill="${p.color}"${rot}>${escapeXml(p.s)}</text>`
      );
    }
    default: {
      const never: never = p;
      throw new Error(`unknown primitive ${JSON.stringify(never)}`);
    }
  }
}

export function sceneSvg(scene: Scene): string {
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${n(scene.width)}" height="${n(scene.height)}" ` +
      `viewBox="0 0 ${n(scene.width)} ${n(scene.height)}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace">`,
  );
  if (scene.title) out.push(`<title>${escapeXml(scene.title)}</title>`);
  if (scene.clips.length > 0) {
    out.push('<defs>');
    scene.clips.forEach((c, i) =>
      out.push(`<clipPath id="clip${i}"><rect x="${n(c.x)}" y="${n(c.y)}" width="${n(c.w)}" height="${n(c.h)}"/></clipPath>`),
    );
    out.push('</defs>');
  }
  out.push(`<rect width="100%" height="100%" fill="${scene.background}"/>`);
  for (const p of scene.prims) out.push(prim(p));
  out.push('</svg>');
  return out.join('\n') + '\n';
}

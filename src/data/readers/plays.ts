/**
 * plays:PATH[#turns=N] — plays as dialogs. Two layouts are recognised per paragraph:
 *   - "SPEAKER:" alone on a line, the speech on the following lines (tinyshakespeare);
 *   - "Name.  speech" / "Name (aside).  speech" at the start of a paragraph (Wilde, Chekhov, Gogol, Gorky).
 * Files whose paragraphs are single long lines (no blank lines between speeches) are read line by line.
 * Speaker names and stage directions ([…] and (…)) are removed; turns are the speeches. Headings
 * (ACT/SCENE/Действие/Явление…, all-capital lines) end a dialog; a dialog is cut after N turns (default 8).
 * Other paragraphs (stage directions, cast lists) are skipped. Gutenberg boilerplate is stripped.
 */
import { EwcError } from '../../util/errors.ts';
import { paragraphs, resolveFiles } from '../files.ts';
import type { Document } from '../types.ts';
import { idRoot, readBookText, relId, TEXT_EXTENSIONS } from './text.ts';

const NAME = String.raw`\p{Lu}[\p{L}'’\-]*(?:\s+(?:\p{Lu}[\p{L}'’\-]*|of|the|de|von))*`;
const COLON_SPEAKER = new RegExp(String.raw`^(${NAME}):$`, 'u');
const DOT_SPEAKER = new RegExp(String.raw`^(${NAME})(?:\s*\([^)]*\))?\.\s+(\S[\s\S]*)$`, 'u');
const HEADING = /^(?:(?:FIRST|SECOND|THIRD|FOURTH|FIFTH|LAST)\s+ACT|ACT\b|SCENE\b|Act\s+[IVX\d]|Scene\s+[IVX\d]|Действие|Явление|Акт\b|Сцена|Картина|Занавес|CURTAIN)/u;

function cleanSpeech(s: string): string {
  return s
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\([^)]*\)/g, ' ')
    .replace(/\s+/g, ' ')
    .replace(/\s+([.,!?;:…])/g, '$1')
    .trim();
}

function isHeading(p: string): boolean {
  const first = p.split('\n')[0].trim();
  if (HEADING.test(first)) return true;
  const letters = first.replace(/[^\p{L}]/gu, '');
  return letters.length >= 3 && first.length < 60 && letters === letters.toUpperCase() && !COLON_SPEAKER.test(first);
}

export type Piece = { kind: 'turn'; text: string } | { kind: 'break' } | { kind: 'other' };

/** Classifies the paragraphs of a play into turns, breaks (headings) and other text. */
export function playPieces(text: string): Piece[] {
  let paras = paragraphs(text);
  const colonParas = paras.filter((p) => COLON_SPEAKER.test(p.split('\n')[0].trim()) && p.includes('\n')).length;
  const dotParas = paras.filter((p) => DOT_SPEAKER.test(p.trim())).length;
  const colonMode = colonParas > dotParas;
  if (!colonMode) {
    // one speech per line (no blank lines between speeches): read line by line
    const lines = paras.flatMap((p) => p.split('\n')).map((l) => l.trim());
    if (lines.filter((l) => DOT_SPEAKER.test(l)).length > 2 * dotParas) paras = lines.filter((l) => l);
  }
  // "Name. speech" speakers must recur (≥ 3 speeches): a one-off "Silence. All look at him." is a stage direction
  const speakerOf = (p: string): { name: string; speech: string } | undefined => {
    if (colonMode) {
      const ls = p.split('\n');
      const c = COLON_SPEAKER.exec(ls[0].trim());
      return c && ls.length > 1 ? { name: c[1], speech: ls.slice(1).join(' ') } : undefined;
    }
    const d = DOT_SPEAKER.exec(p.replace(/\n/g, ' ').trim());
    return d && d[1].length <= 40 ? { name: d[1], speech: d[2] } : undefined;
  };
  const counts = new Map<string, number>();
  const found = paras.map(speakerOf);
  for (const f of found) if (f) counts.set(f.name, (counts.get(f.name) ?? 0) + 1);
  return paras.map((p, i): Piece => {
    const f = found[i];
    if (f && (colonMode || (counts.get(f.name) ?? 0) >= 3)) {
      const t = cleanSpeech(f.speech);
      return t ? { kind: 'turn', text: t } : { kind: 'other' };
    }
    return isHeading(p) ? { kind: 'break' } : { kind: 'other' };
  });
}

/** Groups turns into dialogs of at most maxTurns, cut at breaks. Dialogs of a single turn are dropped. */
export function groupTurns(pieces: Piece[], maxTurns: number): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  const flush = () => {
    if (cur.length >= 2) out.push(cur);
    cur = [];
  };
  for (const p of pieces) {
    if (p.kind === 'turn') {
      cur.push(p.text);
      if (cur.length >= maxTurns) flush();
    } else if (p.kind === 'break') flush();
  }
  flush();
  return out;
}

/** Reads a `#turns=N` option (N ≥ 2; default 8), the dialog length cap of plays: and dialogs:. */
export function parseTurnsOption(format: string, fragment: string | undefined): number {
  if (fragment === undefined) return 8;
  const m = /^turns=(\d+)$/.exec(fragment);
  if (!m || Number(m[1]) < 2) throw new EwcError(`${format} option #${fragment}: expected #turns=N with N ≥ 2.`);
  return Number(m[1]);
}

export function readPlays(path: string, fragment?: string): Document[] {
  const maxTurns = parseTurnsOption('plays', fragment);
  const files = resolveFiles(path, (f) => TEXT_EXTENSIONS.test(f), 'play text files (.txt)');
  const root = idRoot(path, files);
  const docs: Document[] = [];
  for (const file of files) {
    const rel = relId(root, file);
    groupTurns(playPieces(readBookText(file)), maxTurns).forEach((turns, i) =>
      docs.push({ id: `${rel}#${i}`, source: file, turns }),
    );
  }
  return docs;
}

/**
 * The offline dialog / book pair built from the embedded fiction (Moby Dick and the Brown corpus's
 * imaginative prose genres), split by dialog-extract.ts so that the two sides share no text:
 *   dialogs:embedded — quoted speech grouped into exchanges (one document per exchange);
 *   books:embedded   — the narrative with that speech removed (one document per chapter / Brown file).
 * dialogs:PATH and books:PATH do the same for local book files (text:PATH rules: Gutenberg stripped).
 */
import { paragraphs, resolveFiles } from '../files.ts';
import { extractDialogs } from '../dialog-extract.ts';
import { idRoot, readBookText, relId, TEXT_EXTENSIONS } from '../readers/text.ts';
import type { Document } from '../types.ts';
import { brownDocuments } from './brown.ts';
import { mobyDickDocuments } from './moby-dick.ts';

function embeddedFiction(): Document[] {
  return [...mobyDickDocuments().map((d) => ({ ...d, id: `moby-dick/${d.id}` })), ...brownDocuments('imaginative').map((d) => ({ ...d, id: `brown/${d.id}` }))];
}

function localBooks(path: string): Document[] {
  const files = resolveFiles(path, (f) => TEXT_EXTENSIONS.test(f), 'book text files (.txt)');
  const root = idRoot(path, files);
  return files.map((f) => ({ id: relId(root, f), source: f, text: readBookText(f) }));
}

function sources(arg: string): Document[] {
  return arg === 'embedded' ? embeddedFiction() : localBooks(arg);
}

export function fictionDialogs(arg: string, maxTurns = 8): Document[] {
  const out: Document[] = [];
  for (const d of sources(arg)) {
    extractDialogs(paragraphs(d.text ?? ''), maxTurns).dialogs.forEach((turns, i) =>
      out.push({ id: `${d.id}#${i}`, source: d.source, turns }),
    );
  }
  return out;
}

export function fictionNarrative(arg: string): Document[] {
  const out: Document[] = [];
  for (const d of sources(arg)) {
    const text = extractDialogs(paragraphs(d.text ?? '')).narrative.join('\n\n');
    if (text.trim()) out.push({ id: d.id, source: d.source, text });
  }
  return out;
}

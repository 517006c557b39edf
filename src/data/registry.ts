/**
 * Corpus specs: one small registry. A spec is `FORMAT` or `FORMAT:ARG`, where ARG is a path (file, folder or
 * glob) or a selection, optionally followed by `#OPTION`. See docs/corpora.md and `ewc-lm corpora list`.
 */
import { EwcError } from '../util/errors.ts';
import { brownDocuments, BROWN_PACKAGE } from './embedded/brown.ts';
import { fictionDialogs, fictionNarrative } from './embedded/fiction.ts';
import { mobyDickDocuments, MOBY_PACKAGE } from './embedded/moby-dick.ts';
import { sotuDocuments, SOTU_PACKAGE } from './embedded/sotu.ts';
import { packageVersion } from './embedded/packages.ts';
import { readChatterbot } from './readers/chatterbot.ts';
import { readDailyDialog } from './readers/dailydialog.ts';
import { readDialogsJsonl, readJsonlDocuments } from './readers/jsonl.ts';
import { readMultiwoz } from './readers/multiwoz.ts';
import { parseTurnsOption, readPlays } from './readers/plays.ts';
import { readTextDocuments } from './readers/text.ts';
import { readTokenDocuments } from './readers/tokens.ts';
import type { Corpus, CorpusKind, Document } from './types.ts';

export interface FormatInfo {
  name: string;
  kind: CorpusKind;
  /** 'none': no argument; 'optional': a selection may follow; 'path': a path must follow. */
  arg: 'none' | 'optional' | 'path';
  syntax: string;
  describe: string;
  embedded: boolean;
  load(arg: string | undefined, fragment: string | undefined): Document[];
}

function noFragment(name: string, fragment: string | undefined): void {
  if (fragment !== undefined) throw new EwcError(`${name} takes no #option, found #${fragment}.`);
}

export const FORMATS: readonly FormatInfo[] = [
  {
    name: 'moby-dick', kind: 'text', arg: 'none', embedded: true, syntax: 'moby-dick',
    describe: `Melville, Moby Dick (${MOBY_PACKAGE}); one document per chapter`,
    load: () => mobyDickDocuments(),
  },
  {
    name: 'sotu', kind: 'text', arg: 'optional', embedded: true, syntax: 'sotu[:YEAR|:FROM-TO]',
    describe: `US State of the Union addresses 1790– (${SOTU_PACKAGE}); one document per address`,
    load: (arg) => sotuDocuments(arg),
  },
  {
    name: 'brown', kind: 'text', arg: 'optional', embedded: true, syntax: 'brown[:GENRE[,GENRE…]]',
    describe: `Brown corpus (${BROWN_PACKAGE}), POS tags stripped; genres e.g. fiction, news, romance, or imaginative/informative`,
    load: (arg) => brownDocuments(arg),
  },
  {
    name: 'dialogs', kind: 'dialog', arg: 'path', embedded: true, syntax: 'dialogs:embedded | dialogs:PATH',
    describe: 'quoted speech extracted from fiction and grouped into exchanges (embedded: Moby Dick + Brown fiction genres)',
    load: (arg, fragment) => fictionDialogs(arg!, parseTurnsOption('dialogs', fragment)),
  },
  {
    name: 'books', kind: 'text', arg: 'path', embedded: true, syntax: 'books:embedded | books:PATH',
    describe: 'the narrative side of the same fiction: book text with the quoted speech removed',
    load: (arg, fragment) => (noFragment('books', fragment), fictionNarrative(arg!)),
  },
  {
    name: 'text', kind: 'text', arg: 'path', embedded: false, syntax: 'text:PATH[#file|#paragraph|#chunk=N]',
    describe: 'plain text files (file, folder or glob); Gutenberg boilerplate stripped; default documents: ≥2000-char paragraph chunks',
    load: (arg, fragment) => readTextDocuments(arg!, fragment),
  },
  {
    name: 'jsonl', kind: 'text', arg: 'path', embedded: false, syntax: 'jsonl:PATH[#FIELD]',
    describe: 'JSON Lines, one document per line in a text field (default "text")',
    load: (arg, fragment) => readJsonlDocuments(arg!, fragment ?? 'text'),
  },
  {
    name: 'dialogs-jsonl', kind: 'dialog', arg: 'path', embedded: false, syntax: 'dialogs-jsonl:PATH',
    describe: 'JSON Lines of dialogs: {"turns": ["…", "…"]}',
    load: (arg, fragment) => (noFragment('dialogs-jsonl', fragment), readDialogsJsonl(arg!)),
  },
  {
    name: 'dailydialog', kind: 'dialog', arg: 'path', embedded: false, syntax: 'dailydialog:PATH[#raw]',
    describe: 'DailyDialog dialogues_<split>.txt (" __eou__"-separated turns); official splits kept',
    load: (arg, fragment) => readDailyDialog(arg!, fragment),
  },
  {
    name: 'multiwoz', kind: 'dialog', arg: 'path', embedded: false, syntax: 'multiwoz:PATH[#raw]',
    describe: 'MultiWOZ 2.1 (ConvLab-2 {train,val,test}.json or .json.zip): one dialog per dialogue, user/system turns alternating; detokenized unless #raw; official splits kept',
    load: (arg, fragment) => readMultiwoz(arg!, fragment),
  },
  {
    name: 'plays', kind: 'dialog', arg: 'path', embedded: false, syntax: 'plays:PATH[#turns=N]',
    describe: 'plays ("SPEAKER:" lines or "Name. speech" paragraphs) as dialogs of ≤ N turns',
    load: (arg, fragment) => readPlays(arg!, fragment),
  },
  {
    name: 'chatterbot', kind: 'dialog', arg: 'path', embedded: false, syntax: 'chatterbot:PATH',
    describe: 'chatterbot-corpus YAML ({conversations: [[…], …]})',
    load: (arg, fragment) => (noFragment('chatterbot', fragment), readChatterbot(arg!)),
  },
  {
    name: 'tokens', kind: 'tokens', arg: 'path', embedded: false, syntax: 'tokens:FILE.json',
    describe: 'pre-tokenized documents: a JSON array of token-id arrays',
    load: (arg, fragment) => (noFragment('tokens', fragment), readTokenDocuments(arg!)),
  },
];

export interface ParsedSpec {
  format: FormatInfo;
  arg?: string;
  fragment?: string;
}

export function parseSpec(spec: string): ParsedSpec {
  const s = spec.trim();
  const colon = s.indexOf(':');
  const name = (colon < 0 ? s : s.slice(0, colon)).toLowerCase();
  const format = FORMATS.find((f) => f.name === name);
  if (!format) {
    throw new EwcError(
      `unknown corpus format "${name}" in spec "${spec}". Expected one of: ${FORMATS.map((f) => f.syntax).join(', ')}. ` +
        `Local files need a format prefix, e.g. text:./notes.txt. Run \`ewc-lm corpora list\`.`,
    );
  }
  let rest = colon < 0 ? undefined : s.slice(colon + 1);
  let fragment: string | undefined;
  if (rest !== undefined) {
    const h = rest.lastIndexOf('#');
    if (h >= 0) {
      fragment = rest.slice(h + 1);
      rest = rest.slice(0, h);
    }
    if (rest === '') rest = undefined;
  }
  if (format.arg === 'none' && rest !== undefined) throw new EwcError(`${format.name} takes no argument, found "${rest}" in "${spec}".`);
  if (format.arg === 'path' && rest === undefined) {
    throw new EwcError(`corpus spec "${spec}": ${format.name} needs a path, e.g. ${format.syntax}.`);
  }
  return { format, arg: rest, fragment };
}

/** Loads a corpus from a spec; an empty corpus is an error. */
export function loadCorpus(spec: string): Corpus {
  const { format, arg, fragment } = parseSpec(spec);
  const documents = format.load(arg, fragment).filter((d) => (d.ids ? d.ids.length > 0 : d.turns ? d.turns.length > 0 : (d.text ?? '').trim().length > 0));
  if (documents.length === 0) {
    throw new EwcError(
      `corpus "${spec}" is empty: no ${format.kind === 'dialog' ? 'dialogs' : 'documents'} with text were found. ` +
        `Check the path and the format (${format.syntax}).`,
    );
  }
  const notes: string[] = [];
  if (format.embedded) {
    const pkgs = format.name === 'moby-dick' ? [MOBY_PACKAGE] : format.name === 'sotu' ? [SOTU_PACKAGE] : format.name === 'brown' ? [BROWN_PACKAGE] : arg === 'embedded' ? [MOBY_PACKAGE, BROWN_PACKAGE] : [];
    for (const p of pkgs) notes.push(`${p}@${packageVersion(p)}`);
  }
  const norm = `${format.name}${arg !== undefined ? ':' + arg : ''}${fragment !== undefined ? '#' + fragment : ''}`;
  return { spec: norm, format: format.name, kind: format.kind, documents, notes };
}

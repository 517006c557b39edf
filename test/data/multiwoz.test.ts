/**
 * multiwoz:PATH (src/data/readers/multiwoz.ts): synthetic files in a temp folder for the layout, the splits, the
 * ids, the text and every kind of bad input; then the shared corpus against its MANIFEST and list files.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpusStats, loadCorpus } from '../../src/data/index.ts';
import { detokenizeConvLab, readMultiwoz } from '../../src/data/readers/multiwoz.ts';
import { DEFAULT_SPLIT, splitTokens } from '../../src/finetune/data.ts';
import { EwcError } from '../../src/util/errors.ts';
import { sharedPath } from '../../src/util/shared.ts';
import { makeZip } from './make-zip.ts';

const dir = mkdtempSync(join(tmpdir(), 'ewc-multiwoz-'));
const file = (name: string, content: string | Uint8Array) => {
  const p = join(dir, name);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, content);
  return p;
};

const belief = { hotel: { semi: { area: 'east' }, book: { booked: [] } } };
/** A MultiWOZ dialogue: texts alternate user / system, with ConvLab-style metadata. */
const dialogue = (...texts: string[]) => ({
  goal: { message: ["You are looking for a <span class='emphasis'>hotel</span>"] },
  log: texts.map((text, i) => ({ text, metadata: i % 2 ? belief : {}, dialog_act: {}, span_info: [] })),
});
const json = (o: unknown) => JSON.stringify(o);

const val = { PMUL0001: dialogue('I need a hotel in the east .', 'There are 4 . Do you want free parking ?'), SNG0002: dialogue('Is it 4 stars ?', 'Yes .') };
const test = {
  SNG0073: dialogue("I would like a taxi from Saint John 's college .", "I do n't have a time . \n Booked car type \t : \t blue skoda", 'Thanks !', 'You are welcome .'),
};

function message(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(EwcError);
    return (e as Error).message;
  }
  throw new Error('expected an EwcError');
}

describe('multiwoz reader', () => {
  // ConvLab-2's layout: one zipped JSON per split, list files and a README beside them
  const mw = join(dir, 'mw');
  file('mw/val.json.zip', makeZip([{ name: 'val.json', data: json(val) }]));
  file('mw/test.json.zip', makeZip([{ name: 'test.json', data: json(test) }]));
  file('mw/valListFile', 'PMUL0001\nSNG0002\n');
  file('mw/README.md', '# MultiWOZ\n');
  file('mw/db/hotel_db.json', '[{"name": "not a dialogue"}]'); // not a split file: ignored

  it('a folder: one dialog per dialogue in file order, the split from the file name, machine-independent ids', () => {
    const c = loadCorpus(`multiwoz:${mw}`);
    expect(c.kind).toBe('dialog');
    expect(c.documents.map((d) => [d.id, d.split, d.turns!.length])).toEqual([
      ['test.json:SNG0073', 'test', 4],
      ['val.json:PMUL0001', 'validation', 2],
      ['val.json:SNG0002', 'validation', 2],
    ]);
    expect(c.documents[0].source).toBe(`${join(mw, 'test.json.zip')} (member test.json)`);
  });

  it('detokenizes ConvLab text by default; #raw keeps every utterance as stored', () => {
    const [d] = loadCorpus(`multiwoz:${mw}`).documents;
    expect(d.turns).toEqual(["I would like a taxi from Saint John's college.", "I don't have a time. Booked car type: blue skoda", 'Thanks!', 'You are welcome.']);
    const [r] = loadCorpus(`multiwoz:${mw}#raw`).documents;
    expect(r.turns).toEqual(test.SNG0073.log.map((t) => t.text));
    expect(detokenizeConvLab("we ca n't , it 's ( 2 ) $ 5 : done")).toBe("we can't, it's (2) $5: done");
    expect(message(() => loadCorpus(`multiwoz:${mw}#turns=4`))).toMatch(/multiwoz option #turns=4: expected #raw or nothing/);
  });

  it('keeps the predefined splits: no train split appears when the source has none', () => {
    const s = corpusStats(loadCorpus(`multiwoz:${mw}`));
    expect(s.split.predefined).toBe(true);
    expect([s.splits.train.documents, s.splits.validation.documents, s.splits.test.documents]).toEqual([0, 2, 1]);
    // with --predefined false the documents are split by id hash like any corpus
    const h = corpusStats(loadCorpus(`multiwoz:${mw}`), { usePredefined: false, fractions: [1, 0, 0] });
    expect(h.splits.train.documents).toBe(3);
  });

  it('fine-tuning data from it: the missing train split is named, not papered over', () => {
    const tok = {} as Parameters<typeof splitTokens>[2]; // not reached: the split is checked first
    expect(message(() => splitTokens(`multiwoz:${mw}`, 'train', tok, DEFAULT_SPLIT))).toMatch(
      /expected documents in its train split, found none: the source fixes the splits \(test 1, validation 2\) and has no train documents, so the fractions do not apply/,
    );
  });

  it('one file, zipped or plain: the same ids; a plain file is preferred to its zip; other names get no split', () => {
    const one = loadCorpus(`multiwoz:${join(mw, 'val.json.zip')}`).documents;
    expect(one.map((d) => d.id)).toEqual(['val.json:PMUL0001', 'val.json:SNG0002']);
    file('both/val.json', json(val));
    file('both/val.json.zip', makeZip([{ name: 'val.json', data: json({ OTHER: dialogue('a', 'b') }) }]));
    expect(loadCorpus(`multiwoz:${join(dir, 'both')}`).documents.map((d) => d.id)).toEqual(one.map((d) => d.id));
    const named = loadCorpus(`multiwoz:${file('mine.json', json(val))}`).documents;
    expect(named.map((d) => [d.id, d.split])).toEqual([['mine.json:PMUL0001', undefined], ['mine.json:SNG0002', undefined]]);
    // a zip whose member sits in a folder, next to files that are not JSON
    const z = file('nested/all.zip', makeZip([{ name: 'data/README.txt', data: 'x' }, { name: 'data/dev.json', data: json(val) }, { name: '__MACOSX/data/._dev.json', data: 'junk' }]));
    expect(loadCorpus(`multiwoz:${z}`).documents.map((d) => [d.id, d.split])).toEqual([['data/dev.json:PMUL0001', 'validation'], ['data/dev.json:SNG0002', 'validation']]);
  });

  it.each([
    ['not JSON', '{"PMUL1": {"log": [', /bad\.json: not valid JSON \(.*\)\. Expected MultiWOZ 2\.1 \/ ConvLab-2 JSON/],
    ['a list (MultiWOZ 2.2)', json([{ dialogue_id: 'PMUL1.json', turns: [] }]), /bad\.json: expected MultiWOZ 2\.1 \/ ConvLab-2 JSON: .*; found an array at the top level\. \(MultiWOZ 2\.2's dialogues_\*\.json/],
    ['a dialogue without a log', json({ X1: { goal: {} } }), /dialogue "X1": expected \{"goal": …, "log": \[turn, …\]\}, found "log" is missing; every dialogue of MultiWOZ 2\.1 \/ ConvLab-2 JSON has a "log" list/],
    ['a dialogue that is a string', json({ X1: 'hello' }), /dialogue "X1": expected \{"goal": …, "log": \[turn, …\]\}, found a string/],
    ['an odd number of turns', json({ X1: dialogue('a', 'b', 'c') }), /dialogue "X1" has 3 turns: expected an even number ≥ 2 \(user and system alternate, the user first and the system last\)/],
    ['no turns', json({ X1: { log: [] } }), /dialogue "X1" has 0 turns: expected an even number ≥ 2/],
    ['a turn without text', json({ X1: { log: [{ text: 'a', metadata: {} }, { metadata: belief }] } }), /dialogue "X1", log\[1\]: expected a turn \{"text": "…", "metadata": \{…\}\}, found "text" is missing/],
    ['a turn that is a number', json({ X1: { log: [{ text: 'a', metadata: {} }, 7] } }), /log\[1\]: expected a turn .*, found a number/],
    ['the system first', json({ X1: { log: [{ text: 'a', metadata: belief }, { text: 'b', metadata: {} }] } }), /dialogue "X1", log\[0\]: expected a user turn \(turns alternate, starting with the user; .*\), found a belief state/],
    ['two user turns in a row', json({ X1: { log: [{ text: 'a', metadata: {} }, { text: 'b', metadata: {} }] } }), /log\[1\]: expected a system turn .*, found empty metadata/],
    ['metadata that is not an object', json({ X1: { log: [{ text: 'a', metadata: 'user' }, { text: 'b' }] } }), /log\[0\]: expected "metadata" to be an object, found a string/],
    ['an empty utterance', json({ X1: dialogue('a', ' \n\t ') }), /log\[1\]: the utterance is empty/],
  ])('bad input: %s', (_what, content, re) => {
    expect(message(() => loadCorpus(`multiwoz:${file('bad/bad.json', content)}`))).toMatch(re);
  });

  it('bad archives and files: a truncated zip, a zip without JSON, another file type, an empty folder', () => {
    const good = makeZip([{ name: 'val.json', data: json(val) }]);
    const cut = file('badzip/val.json.zip', good.subarray(0, good.length - 10));
    expect(message(() => readMultiwoz(cut))).toMatch(/val\.json\.zip: not a readable zip archive \(no end-of-central-directory record.*\)\. Expected a complete \.zip file/);
    const damaged = Buffer.from(good);
    for (let i = 40; i < 60; i++) damaged[i] ^= 0x55;
    expect(message(() => readMultiwoz(file('badzip2/val.json.zip', damaged)))).toMatch(/not a readable zip archive \(member val\.json (does not inflate|holds|fails its CRC-32)/);
    expect(message(() => readMultiwoz(file('nojson/test.json.zip', makeZip([{ name: 'notes.txt', data: 'hi' }]))))).toMatch(
      /test\.json\.zip: expected a zip holding a MultiWOZ \.json member \(e\.g\. val\.json\), found notes\.txt/,
    );
    expect(message(() => readMultiwoz(file('other/dialogs.txt', 'hello')))).toMatch(/dialogs\.txt: expected a MultiWOZ \.json or \.json\.zip file/);
    mkdirSync(join(dir, 'empty'));
    expect(message(() => readMultiwoz(join(dir, 'empty')))).toMatch(/no MultiWOZ files \(\{train,val,test\}\.json or \.json\.zip\) found/);
    expect(message(() => readMultiwoz(file('latin1/test.json', Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x7d]))))).toMatch(/test\.json is not valid UTF-8 \(first bad byte at offset 2\)/);
  });
});

describe('multiwoz on ../shared/corpora/multiwoz-dialogs', () => {
  const root = sharedPath('corpora/multiwoz-dialogs');
  const m = JSON.parse(readFileSync(join(root, 'MANIFEST.json'), 'utf8'));
  const docs = readMultiwoz(root, 'raw');
  const bySplit = (s: string) => docs.filter((d) => d.split === s);

  it('dialogs and utterances per split as in the MANIFEST, every dialog user-first and system-last', () => {
    const val = bySplit('validation');
    const test = bySplit('test');
    expect([val.length, test.length, docs.length]).toEqual([m.per_split.val.dialogs, m.per_split.test.dialogs, 1999]);
    const utts = (ds: typeof docs) => ds.reduce((a, d) => a + d.turns!.length, 0);
    expect([utts(val), utts(test)]).toEqual([m.per_split.val.utterances, m.per_split.test.utterances]); // 14730, 14744
    // #raw keeps each utterance as stored: the MANIFEST's character counts exactly
    const chars = (ds: typeof docs) => ds.reduce((a, d) => a + d.turns!.reduce((b, t) => b + t.length, 0), 0);
    expect([chars(val), chars(test)]).toEqual([m.per_split.val.chars, m.per_split.test.chars]);
    expect(docs.every((d) => d.turns!.length % 2 === 0 && d.turns!.length <= 36)).toBe(true);
  });

  it('dialogue ids in the order of the upstream list files', () => {
    const list = (f: string) => readFileSync(join(root, f), 'utf8').split('\n').filter(Boolean);
    expect(bySplit('validation').map((d) => d.id)).toEqual(list('valListFile').map((id) => `val.json:${id}`));
    expect(bySplit('test').map((d) => d.id)).toEqual(list('testListFile').map((id) => `test.json:${id}`));
  });
});

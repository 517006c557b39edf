import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FORMATS, loadCorpus } from '../../src/data/index.ts';
import { stripGutenberg } from '../../src/data/gutenberg.ts';
import { parseYamlSubset } from '../../src/data/readers/yaml-subset.ts';
import { detokenize } from '../../src/data/readers/dailydialog.ts';
import { splitQuotes, extractDialogs } from '../../src/data/dialog-extract.ts';

const dir = mkdtempSync(join(tmpdir(), 'ewc-readers-'));
const file = (name: string, content: string | Uint8Array) => {
  const p = join(dir, name);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, content);
  return p;
};

describe('text', () => {
  const book = file(
    'books/book.txt',
    '\uFEFFThe Project Gutenberg EBook of X\r\n\r\n*** START OF THIS PROJECT GUTENBERG EBOOK X ***\r\n\r\nChapter one.\r\nLine two.\r\n\r\nSecond paragraph.\r\n\r\nEnd of the Project Gutenberg EBook of X\r\n\r\nlicence text\r\n',
  );
  file('books/sub/other.md', 'Other file.\n\nWith two paragraphs.\n');

  it('strips BOM, CRLF and the Gutenberg header/footer/licence', () => {
    const c = loadCorpus(`text:${book}#file`);
    expect(c.documents).toEqual([{ id: 'book.txt', source: book, text: 'Chapter one.\nLine two.\n\nSecond paragraph.' }]);
  });

  it.each([
    ['#paragraph', ['book.txt#0', 'book.txt#1', 'sub/other.md#0', 'sub/other.md#1']],
    ['#file', ['book.txt', 'sub/other.md']],
    ['', ['book.txt#0', 'sub/other.md#0']],
  ])('folder with %s: ids relative to the folder', (frag, ids) => {
    expect(loadCorpus(`text:${join(dir, 'books')}${frag}`).documents.map((d) => d.id)).toEqual(ids);
  });

  it('glob', () => {
    expect(loadCorpus(`text:${dir}/books/**/*.md#file`).documents.map((d) => d.id)).toEqual(['other.md']);
  });

  it('gutenberg footer variants', () => {
    expect(stripGutenberg('Body.\n\n***END OF THE PROJECT GUTENBERG EBOOK THE X***\nlicence').text).toBe('Body.\n');
    expect(stripGutenberg('Body only.').stripped).toBe(false);
  });
});

describe('jsonl / dialogs-jsonl / tokens', () => {
  it('reads a text field and ids', () => {
    const p = file('a.jsonl', '{"text": "one"}\n\n{"body": "two", "text": "three", "id": 7}\n');
    expect(loadCorpus(`jsonl:${p}`).documents.map((d) => [d.id, d.text])).toEqual([['a.jsonl:1', 'one'], ['a.jsonl:7', 'three']]);
    const q = file('b.jsonl', '{"body": "x"}\n');
    expect(loadCorpus(`jsonl:${q}#body`).documents[0].text).toBe('x');
  });
  it('dialogs', () => {
    const p = file('d.jsonl', '{"turns": ["Hi!", " Hello. "]}\n');
    expect(loadCorpus(`dialogs-jsonl:${p}`).documents[0].turns).toEqual(['Hi!', 'Hello.']);
  });
  it('tokens', () => {
    const p = file('t.json', '[[1,2,3],[4]]');
    const c = loadCorpus(`tokens:${p}`);
    expect(c.kind).toBe('tokens');
    expect(c.documents.map((d) => d.ids)).toEqual([[1, 2, 3], [4]]);
  });
});

describe('dialog formats', () => {
  it('dailydialog: __eou__ turns, detokenized, split from the file name, .gz read', () => {
    file('dd/train/dialogues_train.txt.gz', gzipSync('Hey man , you wanna buy ? __eou__ I ’ ll pass . __eou__\n'));
    file('dd/test/dialogues_test.txt', 'A ( b ) c ! __eou__ D . __eou__\n');
    file('dd/test/dialogues_act_test.txt', '1 2\n');
    const c = loadCorpus(`dailydialog:${join(dir, 'dd')}`);
    expect(c.documents).toEqual([
      { id: 'test:1', source: join(dir, 'dd/test/dialogues_test.txt'), turns: ['A (b) c!', 'D.'], split: 'test' },
      { id: 'train:1', source: join(dir, 'dd/train/dialogues_train.txt.gz'), turns: ['Hey man, you wanna buy?', 'I’ll pass.'], split: 'train' },
    ]);
    expect(loadCorpus(`dailydialog:${join(dir, 'dd')}#raw`).documents[0].turns).toEqual(['A ( b ) c !', 'D .']);
    expect(detokenize("it ' s 5 % off , isn ' t it ?")).toBe("it's 5% off, isn't it?");
  });

  it('plays: "SPEAKER:" blocks and "Name. speech" paragraphs, stage directions removed, cut at headings', () => {
    const colon = file('p1.txt', 'FIRST:\nHello there,\nfriend.\n\nSECOND:\nHi.\n\nFIRST:\nBye.\n\nSECOND:\nGo.\n');
    expect(loadCorpus(`plays:${colon}`).documents.map((d) => d.turns)).toEqual([['Hello there, friend.', 'Hi.', 'Bye.', 'Go.']]);
    const dot = file(
      'p2.txt',
      'ACT I\n\nJack.  How are you,\nmy dear?  [Sits down.]\n\nGwen.  Quite well.\n\nJack.  Good.\n\nACT II\n\nGwen.  (aside) Later.\n\nJack.  Yes.\n\nGwen.  Fine.\n',
    );
    expect(loadCorpus(`plays:${dot}`).documents.map((d) => d.turns)).toEqual([
      ['How are you, my dear?', 'Quite well.', 'Good.'],
      ['Later.', 'Yes.', 'Fine.'],
    ]);
    expect(loadCorpus(`plays:${dot}#turns=2`).documents.map((d) => d.turns!.length)).toEqual([2, 2]);
  });

  it('chatterbot YAML subset: nested lists, quotes, block scalars', () => {
    const y = 'categories:\n- test\nconversations:\n- - Hi\n  - \'It\'\'s "me"\'\n- - "Tab\\there"\n  - |\n    line one\n\n    line two\n- - a plain\n    continued line\n  - b\n';
    expect(parseYamlSubset(y)).toEqual({
      categories: ['test'],
      conversations: [['Hi', 'It\'s "me"'], ['Tab\there', 'line one\n\nline two\n'], ['a plain continued line', 'b']],
    });
    const p = file('bot/c.yml', y);
    expect(loadCorpus(`chatterbot:${join(dir, 'bot')}`).documents.map((d) => d.id)).toEqual(['c.yml:0', 'c.yml:1', 'c.yml:2']);
  });

  it('quoted speech: spans joined, rest kept, open quote runs to the paragraph end', () => {
    expect(splitQuotes('"Come," he said, "sit down."')).toEqual({ speech: 'Come, sit down.', rest: 'he said,' });
    expect(splitQuotes('“Curly” quotes and "an open one')).toEqual({ speech: 'Curly an open one', rest: 'quotes and' });
    const e = extractDialogs(['Narration only here.', '"Hi," said A.', '"Hello," said B, who had been waiting by the door for a very long time.', 'More narration.', '"Alone."']);
    expect(e.dialogs).toEqual([['Hi,', 'Hello,']]);
    expect(e.narrative).toEqual(['Narration only here.', 'said B, who had been waiting by the door for a very long time.', 'More narration.']);
  });
});

describe('bad input', () => {
  it.each([
    ['text:/no/such/file.txt', /path not found: \/no\/such\/file\.txt does not exist\. Expected text files/],
    ['nosuch:abc', /unknown corpus format "nosuch" in spec "nosuch:abc"\. Expected one of: moby-dick, sotu.*, brown.*, dialogs:embedded.*, text:PATH.*, jsonl:PATH.*, dailydialog:PATH.*, plays:PATH.*, chatterbot:PATH, tokens:FILE\.json/],
    ['./notes.txt', /unknown corpus format "\.\/notes\.txt".*Local files need a format prefix, e\.g\. text:\.\/notes\.txt/],
    ['text', /corpus spec "text": text needs a path/],
    ['moby-dick:x', /moby-dick takes no argument/],
    ['brown:poetry', /brown:poetry: unknown genre "poetry"\. Expected one or more .*adventure, belles_lettres/],
    ['text:X#chunky', /text corpus option #chunky: expected #file, #paragraph or #chunk=N/],
  ])('%s', (spec, re) => {
    expect(() => loadCorpus(spec.replace('X', dir))).toThrow(re);
  });

  it('an empty corpus', () => {
    const p = file('empty/blank.txt', '\n\n   \n');
    expect(() => loadCorpus(`text:${p}`)).toThrow(/corpus "text:.*blank\.txt" is empty: no documents with text were found/);
    const q = file('empty.jsonl', '\n');
    expect(() => loadCorpus(`jsonl:${q}`)).toThrow(/is empty/);
  });

  it('a file that is not UTF-8 (offset of the first bad byte)', () => {
    const p = file('latin1.txt', Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a])); // "café" in Latin-1
    expect(() => loadCorpus(`text:${p}`)).toThrow(/latin1\.txt is not valid UTF-8 \(first bad byte at offset 3\)\. Expected UTF-8 text; convert it first/);
  });

  it('a JSONL line that is not JSON names its line number', () => {
    const p = file('bad.jsonl', '{"text": "ok"}\n{"text": "ok"}\n{"text": broken}\n');
    expect(() => loadCorpus(`jsonl:${p}`)).toThrow(/bad\.jsonl:3: not valid JSON .*Expected one JSON object per line/);
    const q = file('nofield.jsonl', '{"body": 1}\n');
    expect(() => loadCorpus(`jsonl:${q}`)).toThrow(/nofield\.jsonl:1: expected a string field "text", found no such field/);
    const r = file('badturns.jsonl', '{"turns": "x"}\n');
    expect(() => loadCorpus(`dialogs-jsonl:${r}`)).toThrow(/badturns\.jsonl:1: expected \{"turns"/);
  });

  it('tokens file with a bad document', () => {
    const p = file('bad-tokens.json', '[[1,2],[3,-1]]');
    expect(() => loadCorpus(`tokens:${p}`)).toThrow(/document 1 must be an array of non-negative integers/);
  });

  it('every registered format is documented in the unknown-format message', () => {
    try {
      loadCorpus('zzz');
    } catch (e) {
      for (const f of FORMATS) expect((e as Error).message).toContain(f.syntax);
    }
  });
});

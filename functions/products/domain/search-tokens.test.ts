import { describe, expect, it } from 'vitest';
import { nameKey, queryTokens, searchTokens, words } from './search-tokens.ts';

describe('search tokens', () => {
  it('lower-cases, strips diacritics and splits on anything that is not a letter or digit', () => {
    expect(words('Crème Brûlée — 2-in-1 MIXER!')).toEqual(['creme', 'brulee', '2', 'in', '1', 'mixer']);
  });

  it('stores every prefix of 2..15 characters of name, tags and description words', () => {
    const tokens = searchTokens({ name: 'Café Grinder', tags: ['Kitchen'], description: 'x' });
    expect(tokens).toEqual(expect.arrayContaining(['ca', 'caf', 'cafe', 'gr', 'grinder', 'ki', 'kitchen']));
    expect(tokens).not.toContain('c');
    expect(tokens).not.toContain('x');
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  it('caps long words at 15 characters on both sides, so long queries still match', () => {
    const tokens = searchTokens({ name: 'Supercalifragilisticexpialidocious', tags: [], description: '' });
    expect(tokens.at(-1)).toBe('supercalifragil');
    expect(queryTokens('supercalifragilistic')).toEqual(['supercalifragil']);
  });

  it('turns a query into distinct tokens, ignoring one-letter words and keeping at most 8', () => {
    expect(queryTokens('  Café  a café  GRIND ')).toEqual(['cafe', 'grind']);
    expect(queryTokens('aa bb cc dd ee ff gg hh ii jj')).toHaveLength(8);
    expect(queryTokens('$ne {"$gt": ""}')).toEqual(['ne', 'gt']);
  });

  it('bounds the token array of very long descriptions', () => {
    const description = Array.from({ length: 500 }, (_, i) => `word${i}`).join(' ');
    expect(searchTokens({ name: 'n', tags: [], description }).length).toBeLessThanOrEqual(400);
  });

  it('sorts names case- and accent-insensitively', () => {
    expect(nameKey('Émile  Zola')).toBe(nameKey('emile zola'));
    // NFKD turns U+FDFA into 18 letters: the key of the longest such name must still fit a DocumentDB index key.
    for (const name of ['ﷺ'.repeat(200), '𝒜'.repeat(200), '日本語の商品名'.repeat(28)])
      expect(Buffer.byteLength(nameKey(name), 'utf8')).toBeLessThanOrEqual(2048);
  });
});

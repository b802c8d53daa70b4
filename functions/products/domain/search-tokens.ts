/**
 * Free-text search without `$text` (FerretDB has none): each product stores the word prefixes of its
 * name, tags and description in one indexed array, and a query matches with `$all` on its own prefixes.
 */
export const MIN_PREFIX = 2;
export const MAX_PREFIX = 15;
const MAX_TOKENS = 400;
const MAX_QUERY_WORDS = 8;

/** Lower case, diacritics stripped (é -> e, ß stays), words of letters and digits. */
export function words(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

function prefixes(word: string): string[] {
  const out: string[] = [];
  const last = Math.min(word.length, MAX_PREFIX);
  for (let n = MIN_PREFIX; n <= last; n++) out.push(word.slice(0, n));
  return out;
}

/** The stored token array: every prefix (2..15 chars) of every word, name and tags first so they survive the cap. */
export function searchTokens(fields: { name: string; tags: string[]; description: string }): string[] {
  const seen = new Set<string>();
  for (const text of [fields.name, ...fields.tags, fields.description]) {
    for (const word of words(text)) {
      if (word.length < MIN_PREFIX) {
        continue;
      }
      for (const p of prefixes(word)) {
        if (seen.size >= MAX_TOKENS) return [...seen];
        seen.add(p);
      }
    }
  }
  return [...seen];
}

/** The tokens a query must all match: its words, each cut to the longest stored prefix; one-letter words are ignored. */
export function queryTokens(query: string): string[] {
  const out = new Set<string>();
  for (const word of words(query)) {
    if (word.length >= MIN_PREFIX) out.add(word.slice(0, MAX_PREFIX));
    if (out.size >= MAX_QUERY_WORDS) break;
  }
  return [...out];
}

/** Code points kept in a name's sort key: at most 1,200 UTF-8 bytes, within DocumentDB's 2,048-byte index keys. */
const NAME_KEY_MAX = 300;

/**
 * Sort key for names: the same normalization, so "Émile" sorts beside "emile". Cut to NAME_KEY_MAX code points (NFKD
 * can make one character eighteen): names alike that far tie and page by id, which keeps keyset paging exact.
 */
export function nameKey(name: string): string {
  return Array.from(words(name).join(' ')).slice(0, NAME_KEY_MAX).join('');
}

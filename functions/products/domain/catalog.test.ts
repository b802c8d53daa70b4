import { describe, expect, it } from 'vitest';
import { searchProducts } from './catalog.ts';
import type { CatalogStore, SearchCriteria } from './ports.ts';
import { NewProduct, newProduct, SearchQuery } from './product.ts';
import { nameKey } from './search-tokens.ts';

const longNames = {
  'NFKD expands 18 times': 'ﷺ'.repeat(200),
  'Japanese, 3 UTF-8 bytes a character': '東京都渋谷区の職人が手作りした陶器の湯呑'.repeat(10),
  // Control characters (6 bytes escaped) are refused at the boundary now (shared/text.ts); these are the worst left.
  'astral, 4 UTF-8 bytes a character': '😀'.repeat(200),
  'JSON escapes at 2 bytes a character': '"\\'.repeat(100),
};

describe('paging by name', () => {
  it('every cursor the server issues for the longest names is accepted by its own query schema and pages exactly', async () => {
    for (const [kind, name] of Object.entries(longNames)) {
      const products = ['prd_0000000000aaaaaaaaaaaaaaaa', 'prd_0000000000bbbbbbbbbbbbbbbb'].map((id) =>
        newProduct(id, NewProduct.parse({ name, category: 'kitchen', price: { amount: 100, currency: 'USD' } }), 'now'),
      );
      expect([...products[0]!.name], kind).toHaveLength(200);
      const asked: SearchCriteria[] = [];
      const catalog = {
        search: async (criteria: SearchCriteria) => {
          asked.push(criteria);
          return products;
        },
      } as unknown as CatalogStore;

      const first = await searchProducts({ catalog }, SearchQuery.parse({ sort: 'name', limit: '1' }));
      expect(first.nextCursor, kind).toBeTruthy();
      const next = SearchQuery.safeParse({ sort: 'name', limit: '1', cursor: first.nextCursor });
      expect(next.success, `${kind}: ${JSON.stringify(next.error?.issues)}`).toBe(true);
      await searchProducts({ catalog }, next.data!);
      // The next page starts right after the full sort key and the id: keyset paging stays exact.
      expect(asked[1]!.after, kind).toEqual({ sort: 'name', value: nameKey(name), id: products[0]!.id });
    }
  });
});

import { describe, expect, it } from 'vitest';
import { applyPatch, markDeleted, NewProduct, newProduct, operatorKeys, ProductPatch, SearchQuery } from './product.ts';

const base = newProduct(
  'prd_0000000000aaaaaaaaaaaaaaaa',
  NewProduct.parse({ name: 'Mug', category: 'kitchen', price: { amount: 1299, currency: 'EUR' } }),
  '2026-01-01T00:00:00.000Z',
);

describe('search query validation', () => {
  it('applies defaults and converts numbers and booleans', () => {
    expect(SearchQuery.parse({})).toEqual({ sort: 'newest', limit: 20 });
    expect(SearchQuery.parse({ minPrice: '100', maxPrice: '200', inStock: 'true', limit: '100', sort: 'price_desc' })).toEqual({
      minPrice: 100,
      maxPrice: 200,
      inStock: true,
      limit: 100,
      sort: 'price_desc',
    });
  });

  it.each([
    [{ 'price[$ne]': '0' }],
    [{ $where: '1' }],
    [{ category: 'a', 'category[$gt]': '' }],
    [{ minPrice: '-1' }],
    [{ minPrice: '1e3' }],
    [{ limit: '101' }],
    [{ limit: '0' }],
    [{ sort: 'random' }],
    [{ inStock: 'yes' }],
    [{ category: 'Not A Slug' }],
    [{ minPrice: '500', maxPrice: '100' }],
    [{ cursor: 'has spaces' }],
  ])('rejects %j', (query) => {
    expect(SearchQuery.safeParse(query).success).toBe(false);
  });
});

describe('product bodies', () => {
  it('rejects operator keys anywhere and objects where values belong', () => {
    expect(operatorKeys({ a: { $gt: '' }, b: [{ 'x.y': 1 }] })).toEqual(['a.$gt', 'b[0].x.y']);
    expect(NewProduct.safeParse({ name: { $gt: '' }, category: 'x', price: { amount: 1, currency: 'USD' } }).success).toBe(false);
    expect(NewProduct.safeParse({ name: 'a', category: 'x', price: { amount: 1, currency: 'USD', $inc: 1 } }).success).toBe(
      false,
    );
    expect(NewProduct.safeParse({ name: 'a', category: 'x', price: { amount: 1.5, currency: 'USD' } }).success).toBe(false);
    expect(NewProduct.safeParse({ name: 'a', category: 'x', price: { amount: 150, currency: 'USD' }, extra: 1 }).success).toBe(
      false,
    );
    expect(ProductPatch.safeParse({ expectedVersion: 2 }).success).toBe(false);
  });
});

describe('domain rules', () => {
  it('a new product has version 1, no stock and de-duplicated tags', () => {
    const p = newProduct(
      'prd_x',
      NewProduct.parse({ name: 'A', category: 'c', tags: ['t', 't'], price: { amount: 1, currency: 'USD' } }),
      'now',
    );
    expect(p).toMatchObject({ version: 1, available: 0, inStock: false, deleted: false, tags: ['t'] });
  });

  it('a patch changes only what differs and bumps the version once', () => {
    const same = applyPatch(base, ProductPatch.parse({ name: 'Mug' }), 'later');
    expect(same).toEqual({ product: base, changed: [] });
    const changed = applyPatch(
      base,
      ProductPatch.parse({ name: 'Big mug', price: { amount: 1299, currency: 'EUR' }, tags: ['a'] }),
      'later',
    );
    expect(changed.changed).toEqual(['name', 'tags']);
    expect(changed.product).toMatchObject({ name: 'Big mug', version: 2, updatedAt: 'later', createdAt: base.createdAt });
  });

  it('deleting keeps the product but flags it', () => {
    expect(markDeleted(base, 'later')).toMatchObject({ id: base.id, deleted: true, deletedAt: 'later', version: 2 });
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productsService } from './composition.ts';
import { getProduct as readProduct, searchProducts } from './domain/catalog.ts';
import { SearchQuery } from './domain/product.ts';
import { handler as createProduct } from './handlers/create-product.ts';
import { handler as deleteProduct } from './handlers/delete-product.ts';
import { handler as getInventory } from './handlers/get-inventory.ts';
import { handler as getProduct } from './handlers/get-product.ts';
import { handler as listProducts } from './handlers/list-products.ts';
import { handler as putInventory } from './handlers/put-inventory.ts';
import { handler as updateProduct } from './handlers/update-product.ts';
import { productsReads } from './read-composition.ts';
import { invokeHttp, startLocalBus } from './test-support.ts';

let bus: Awaited<ReturnType<typeof startLocalBus>>;
beforeAll(async () => {
  bus = await startLocalBus();
});
afterAll(async () => {
  await bus.stop();
});

/** Every test works in its own category so parallel files and earlier tests never leak into its listings. */
const category = () => `t-${randomUUID().slice(0, 8)}`;

async function create(body: Record<string, unknown>) {
  const res = await invokeHttp(createProduct, { role: 'admin', body: { description: '', ...body } });
  expect(res.status).toBe(201);
  return res.body as { id: string; version: number; createdAt: string };
}

async function list(query: Record<string, string>) {
  const res = await invokeHttp(listProducts, { query });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { items: Array<{ id: string; name: string; price: { amount: number } }>; nextCursor: string | null };
}

async function listAll(query: Record<string, string>) {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const res = await list({ ...query, ...(cursor ? { cursor } : {}) });
    ids.push(...res.items.map((i) => i.id));
    if (!res.nextCursor) return ids;
    cursor = res.nextCursor;
  }
  throw new Error('pagination did not end');
}

describe('catalog CRUD', () => {
  it('creates, reads, updates and soft-deletes a product, publishing an event for each change', async () => {
    const cat = category();
    const created = await create({
      name: 'Ceramic Mug',
      category: cat,
      tags: ['kitchen'],
      price: { amount: 1299, currency: 'EUR' },
    });
    expect(created).toMatchObject({ version: 1, deleted: false, inStock: false });

    const read = await invokeHttp(getProduct, { path: { id: created.id } });
    expect(read).toMatchObject({
      status: 200,
      body: { id: created.id, name: 'Ceramic Mug', price: { amount: 1299, currency: 'EUR' } },
    });

    const updated = await invokeHttp(updateProduct, {
      role: 'admin',
      path: { id: created.id },
      body: { price: { amount: 999, currency: 'EUR' } },
    });
    expect(updated).toMatchObject({ status: 200, body: { version: 2, price: { amount: 999 } } });
    const stale = await invokeHttp(updateProduct, {
      role: 'admin',
      path: { id: created.id },
      body: { name: 'x', expectedVersion: 1 },
    });
    expect(stale.status).toBe(409);

    expect((await invokeHttp(deleteProduct, { role: 'admin', path: { id: created.id } })).status).toBe(204);
    expect((await invokeHttp(deleteProduct, { role: 'admin', path: { id: created.id } })).status).toBe(204);
    const afterDelete = await invokeHttp(getProduct, { path: { id: created.id } });
    expect(afterDelete).toMatchObject({ status: 200, body: { deleted: true } });
    expect((await list({ category: cat })).items).toEqual([]);
    expect((await invokeHttp(updateProduct, { role: 'admin', path: { id: created.id }, body: { name: 'back' } })).status).toBe(
      404,
    );

    const mine = bus.events().filter((e) => (e.data as { productId?: string }).productId === created.id);
    expect(mine.map((e) => e.type)).toEqual(['product.created', 'product.updated', 'product.deleted']);
    const { catalogStore } = await productsService();
    expect(await catalogStore.pending(1000).then((p) => p.filter((r) => r.key === created.id))).toEqual([]);
  });

  it('answers 404 (not 500) for ids that are malformed or unknown, on every route', async () => {
    for (const id of ['nope', 'prd_0000000000zzzzzzzzzzzzzzzz', '{"$gt":""}', 'prd_' + 'a'.repeat(150)]) {
      expect((await invokeHttp(getProduct, { path: { id } })).status).toBe(404);
      expect((await invokeHttp(getInventory, { path: { id } })).status).toBe(404);
      expect((await invokeHttp(updateProduct, { role: 'admin', path: { id }, body: { name: 'x' } })).status).toBe(404);
      expect((await invokeHttp(deleteProduct, { role: 'admin', path: { id } })).status).toBe(404);
      expect((await invokeHttp(putInventory, { role: 'admin', path: { id }, body: { set: 1, reason: 'x' } })).status).toBe(404);
    }
  });

  it('keeps customers and anonymous callers off admin routes', async () => {
    const body = { name: 'A', category: 'c', price: { amount: 1, currency: 'USD' } };
    expect((await invokeHttp(createProduct, { role: 'customer', body })).status).toBe(403);
    expect((await invokeHttp(createProduct, { body })).status).toBe(401);
    const p = await create({ ...body, category: category() });
    expect((await invokeHttp(updateProduct, { role: 'customer', path: { id: p.id }, body: { name: 'B' } })).status).toBe(403);
    expect((await invokeHttp(deleteProduct, { role: 'customer', path: { id: p.id } })).status).toBe(403);
    expect((await invokeHttp(putInventory, { role: 'customer', path: { id: p.id }, body: { set: 5, reason: 'x' } })).status).toBe(
      403,
    );
    expect((await invokeHttp(getProduct, { path: { id: p.id } })).body.deleted).toBe(false);
  });

  it('rejects operator injection in query strings and bodies with 400', async () => {
    const injections: Array<Record<string, string>> = [
      { 'price[$ne]': '0' },
      { $where: 'sleep(100)' },
      { 'category[$regex]': '.*' },
      { minPrice: '{"$gt":0}' },
    ];
    for (const query of injections) {
      expect((await invokeHttp(listProducts, { query })).status).toBe(400);
    }
    const p = await create({ name: 'Injected', category: category(), price: { amount: 100, currency: 'USD' } });
    for (const body of [
      { name: { $gt: '' } },
      { $set: { deleted: true } },
      { price: { amount: 1, currency: 'USD', $inc: 5 } },
      { 'name.x': 'y' },
    ]) {
      expect((await invokeHttp(updateProduct, { role: 'admin', path: { id: p.id }, body })).status).toBe(400);
    }
    expect(
      (await invokeHttp(putInventory, { role: 'admin', path: { id: p.id }, body: { set: { $gt: 0 }, reason: 'x' } })).status,
    ).toBe(400);
    expect((await invokeHttp(getProduct, { path: { id: p.id } })).body).toMatchObject({ name: 'Injected', version: 1 });
  });
});

describe('search, filters and sorts', () => {
  const cat = category();
  const other = category();
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    const rows = [
      ['Crème Brûlée Torch', 2500, ['kitchen', 'dessert'], 'Caramelizes sugar'],
      ['Chef Knife', 8900, ['kitchen'], 'Forged steel blade'],
      ['Espresso Grinder', 15900, ['coffee'], 'Burr grinder for espresso'],
      ['Bread Knife', 3900, ['kitchen', 'bread'], 'Serrated blade'],
      ['Almond Flour', 900, ['baking'], 'Finely ground almonds'],
    ] as const;
    for (const [name, amount, tags, description] of rows) {
      ids[name] = (await create({ name, category: cat, tags, description, price: { amount, currency: 'EUR' } })).id;
    }
    ids.other = (await create({ name: 'Chef Knife Deluxe', category: other, price: { amount: 8900, currency: 'EUR' } })).id;
    const { inventory } = await productsService();
    const { changeInventory } = await import('./domain/inventory.ts');
    await changeInventory(inventory, ids['Chef Knife']!, { set: 4, reason: 'initial' }, 'test');
    await changeInventory(inventory, ids['Almond Flour']!, { set: 10, reason: 'initial' }, 'test');
  });
  const names = (items: Array<{ name: string }>) => items.map((i) => i.name);

  it('matches words and word prefixes in name, tags and description, accent- and case-insensitively', async () => {
    expect(names((await list({ category: cat, q: 'knife', sort: 'name' })).items)).toEqual(['Bread Knife', 'Chef Knife']);
    expect(names((await list({ category: cat, q: 'KNI ser' })).items)).toEqual(['Bread Knife']);
    expect(names((await list({ category: cat, q: 'creme brulee' })).items)).toEqual(['Crème Brûlée Torch']);
    expect(names((await list({ category: cat, q: 'coffee' })).items)).toEqual(['Espresso Grinder']);
    expect(names((await list({ category: cat, q: 'almonds' })).items)).toEqual(['Almond Flour']);
    expect((await list({ category: cat, q: 'knife unicorn' })).items).toEqual([]);
  });

  it('filters by category, price range and stock', async () => {
    expect((await list({ category: other })).items.map((i) => i.id)).toEqual([ids.other]);
    expect(names((await list({ category: cat, minPrice: '3900', maxPrice: '8900', sort: 'price_asc' })).items)).toEqual([
      'Bread Knife',
      'Chef Knife',
    ]);
    expect(names((await list({ category: cat, maxPrice: '900' })).items)).toEqual(['Almond Flour']);
    expect(names((await list({ category: cat, inStock: 'true', sort: 'name' })).items)).toEqual(['Almond Flour', 'Chef Knife']);
    expect((await list({ category: cat, inStock: 'false' })).items).toHaveLength(3);
  });

  it('sorts by price both ways, by name and by newest', async () => {
    expect(names((await list({ category: cat, sort: 'price_asc' })).items)).toEqual([
      'Almond Flour',
      'Crème Brûlée Torch',
      'Bread Knife',
      'Chef Knife',
      'Espresso Grinder',
    ]);
    expect(names((await list({ category: cat, sort: 'price_desc' })).items)[0]).toBe('Espresso Grinder');
    expect(names((await list({ category: cat, sort: 'name' })).items)).toEqual([
      'Almond Flour',
      'Bread Knife',
      'Chef Knife',
      'Crème Brûlée Torch',
      'Espresso Grinder',
    ]);
    expect(names((await list({ category: cat, sort: 'newest' })).items)).toEqual([
      'Almond Flour',
      'Bread Knife',
      'Espresso Grinder',
      'Chef Knife',
      'Crème Brûlée Torch',
    ]);
  });

  it("the read routes' driver-only wiring reaches the same database and collection as the store over mongoose, page by page", async () => {
    // Both sides run the same reader class (the store delegates its reads to it), so this proves the driver-only
    // composition's wiring (URI, database, collection, projection), not the queries: the tests above prove those.
    const reads = await productsReads();
    const { catalogStore } = await productsService();
    // A deleted product of the same category (invisible to the listings of the other tests here): resolved by id only.
    const deleted = (await create({ name: 'Withdrawn Knife', category: cat, price: { amount: 3900, currency: 'EUR' } })).id;
    expect((await invokeHttp(deleteProduct, { role: 'admin', path: { id: deleted } })).status).toBe(204);
    const queries = [
      { category: cat },
      { category: cat, q: 'knife' },
      { category: cat, q: 'KNI ser' },
      { category: cat, q: 'creme brulee' },
      { category: cat, minPrice: '900', maxPrice: '8900' },
      { category: cat, inStock: 'true' },
      { category: cat, inStock: 'false' },
      { q: 'chef knife' },
    ].flatMap((q) => ['newest', 'price_asc', 'price_desc', 'name'].map((sort) => ({ ...q, sort, limit: '2' })));
    for (const raw of queries) {
      let query = SearchQuery.parse(raw);
      for (let page = 0; page < 10; page++) {
        const viaReader = await searchProducts(reads, query);
        expect(viaReader, JSON.stringify(raw)).toEqual(await searchProducts({ catalog: catalogStore }, query));
        if (!viaReader.nextCursor) break;
        query = { ...query, cursor: viaReader.nextCursor };
      }
    }
    for (const id of [...Object.values(ids), deleted]) {
      const product = await readProduct(reads, id);
      expect(product).toEqual(await catalogStore.findById(id));
      expect(product).toMatchObject({ id, deleted: id === deleted });
    }
    expect(await reads.catalog.findById('prd_0000000000zzzzzzzzzzzzzzzz')).toBeNull();
  });

  it('rejects a cursor of another sort or a forged one', async () => {
    const page = await list({ category: cat, sort: 'price_asc', limit: '2' });
    expect(page.nextCursor).toBeTruthy();
    expect((await invokeHttp(listProducts, { query: { category: cat, sort: 'name', cursor: page.nextCursor! } })).status).toBe(
      400,
    );
    expect((await invokeHttp(listProducts, { query: { cursor: 'AAAA' } })).status).toBe(400);
  });
});

describe('pagination', () => {
  it.each(['newest', 'price_asc', 'price_desc', 'name'])(
    'pages through everything once, with ties on the sort key, while products are being added (%s)',
    async (sort) => {
      const cat = category();
      const before = new Set<string>();
      for (let i = 0; i < 23; i++) {
        before.add(
          (await create({ name: `Item ${i % 5}`, category: cat, price: { amount: 100 * (i % 4), currency: 'USD' } })).id,
        );
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 50; page++) {
        const res = await list({ category: cat, sort, limit: '4', ...(cursor ? { cursor } : {}) });
        seen.push(...res.items.map((i) => i.id));
        await create({ name: `Item ${page % 5}`, category: cat, price: { amount: 100 * (page % 4), currency: 'USD' } });
        if (!res.nextCursor) break;
        cursor = res.nextCursor;
      }
      expect(new Set(seen).size).toBe(seen.length);
      for (const id of before) expect(seen).toContain(id);
      const all = await listAll({ category: cat, sort, limit: '7' });
      expect(new Set(all).size).toBe(all.length);
      expect(all.length).toBeGreaterThanOrEqual(23 + 6);
    },
  );

  it('pages by name through the longest non-ASCII names', async () => {
    const cat = category();
    const names = ['ﷺ'.repeat(200), 'ﷺ'.repeat(199) + 'a', '東京都渋谷区の職人が手作りした陶器の湯呑'.repeat(10)];
    const ids = [];
    for (const name of [...names, ...names])
      ids.push((await create({ name, category: cat, price: { amount: 1, currency: 'USD' } })).id);
    const all = await listAll({ category: cat, sort: 'name', limit: '1' });
    expect(all.toSorted()).toEqual(ids.toSorted());
  });

  it('caps the page size at 100 and defaults to 20', async () => {
    expect((await invokeHttp(listProducts, { query: { limit: '101' } })).status).toBe(400);
    const cat = category();
    await Promise.all(
      Array.from({ length: 21 }, (_, i) => create({ name: `P${i}`, category: cat, price: { amount: i, currency: 'USD' } })),
    );
    const page = await list({ category: cat });
    expect(page.items).toHaveLength(20);
    expect(page.nextCursor).toBeTruthy();
  });
});

import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { generateProduct } from '../../functions/products/store/generate.ts';
import { resetConfig } from '../../shared/config.ts';
import { adminToken, api, eventsOnBus, registerCustomer } from '../support/api.ts';
import { apiClient } from '../support/client.ts';

const call = api();
/** The demo catalog the runtime seeds (infra/offline/seed/products.ts): generated products 0..299 of set 'demo'. */
const seeded = Array.from({ length: 300 }, (_, n) => generateProduct('demo', n).product);
let admin: string;

beforeAll(async () => {
  admin = await adminToken(call);
});

describe('products through the offline gateway', () => {
  it('serves the seeded catalog publicly, with search and cursors', async () => {
    const client = apiClient();
    const page = await client.GET('/products', { params: { query: { limit: '50', sort: 'price_asc' } } });
    expect(page.response.status).toBe(200);
    expect(page.data!.items).toHaveLength(50);
    expect(page.data!.nextCursor).toBeTruthy();
    // The seed alone fills two pages, so "no overlap" cannot pass on an empty second page.
    const next = await client.GET('/products', {
      params: { query: { limit: '50', sort: 'price_asc', cursor: page.data!.nextCursor! } },
    });
    expect(next.response.status).toBe(200);
    expect(next.data!.items).toHaveLength(50);
    expect(next.data!.items.some((i) => page.data!.items.some((p) => p.id === i.id))).toBe(false);
    expect(next.data!.items[0]!.price.amount).toBeGreaterThanOrEqual(page.data!.items.at(-1)!.price.amount);

    const seededKnives = seeded.filter((p) => p.category === 'home-kitchen' && /knife/i.test(p.name)).map((p) => p.id);
    expect(seededKnives.length).toBeGreaterThan(0);
    const search = await client.GET('/products', { params: { query: { q: 'knife', category: 'home-kitchen', limit: '100' } } });
    expect(search.response.status).toBe(200);
    expect(search.data!.items.map((i) => i.id)).toEqual(expect.arrayContaining(seededKnives));
    expect(search.data!.items.every((i) => /knife/i.test(i.name) && i.category === 'home-kitchen')).toBe(true);
    // An operator smuggled into the query string is not in the spec: sent raw.
    expect((await call('GET', '/products?price[$ne]=0')).status).toBe(400);
  });

  it('admin lifecycle publishes created, updated, deleted, low and depleted; customers get 403', async () => {
    const customer = await registerCustomer(call);
    const body = { name: `E2E Lamp ${randomUUID().slice(0, 6)}`, category: 'e2e', price: { amount: 4999, currency: 'USD' } };
    expect((await apiClient({ token: customer.accessToken }).POST('/products', { body })).response.status).toBe(403);
    expect((await apiClient().POST('/products', { body })).response.status).toBe(401);
    const asAdmin = apiClient({ token: admin });
    const created = await asAdmin.POST('/products', { body });
    expect(created.response.status).toBe(201);
    expect(created.response.headers.get('location')).toBe(`/products/${created.data!.id}`);
    const id = created.data!.id;
    const path = { id };
    const patched = await asAdmin.PATCH('/products/{id}', {
      params: { path },
      body: { price: { amount: 3999, currency: 'USD' } },
    });
    expect(patched.data).toMatchObject({ price: { amount: 3999 }, version: 2 });
    const stocked = await asAdmin.PUT('/products/{id}/inventory', {
      params: { path },
      body: { set: 3, reason: 'delivery', lowStockThreshold: 5 },
    });
    expect(stocked.response.status).toBe(200);
    const adjusted = await asAdmin.PUT('/products/{id}/inventory', { params: { path }, body: { adjust: -3, reason: 'damaged' } });
    expect(adjusted.response.status).toBe(200);
    expect((await apiClient().GET('/products/{id}/inventory', { params: { path } })).data).toMatchObject({
      available: 0,
      reserved: 0,
    });
    expect((await asAdmin.DELETE('/products/{id}', { params: { path } })).response.status).toBe(204);
    expect((await apiClient().GET('/products/{id}', { params: { path } })).data).toMatchObject({ deleted: true });
    const missing = await apiClient().GET('/products/{id}', { params: { path: { id: 'not-a-product' } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error?.error.code).toBe('NOT_FOUND');

    const mine = (d: Record<string, unknown>) => d.productId === id;
    for (const type of ['product.created', 'product.updated', 'product.deleted', 'product.stock.low', 'product.stock.depleted']) {
      expect((await eventsOnBus(call, type, mine)).length, type).toBeGreaterThanOrEqual(1);
    }
  });

  it('saga tasks publish reserved and released on the same bus', async () => {
    Object.assign(process.env, inject('runtimeEnv'));
    resetConfig();
    const { handler: reserve } = await import('../../functions/products/handlers/reserve-inventory.ts');
    const { handler: release } = await import('../../functions/products/handlers/release-inventory.ts');
    const created = await call<{ id: string }>('POST', '/products', {
      token: admin,
      body: { name: 'Saga Mug', category: 'e2e', price: { amount: 1500, currency: 'USD' } },
    });
    const productId = created.body.id;
    await call('PUT', `/products/${productId}/inventory`, { token: admin, body: { set: 10, reason: 'delivery' } });
    const orderId = `ord_${randomUUID()}`;
    await reserve({ orderId, lines: [{ productId, quantity: 2 }] });
    expect((await call('GET', `/products/${productId}/inventory`)).body).toMatchObject({ available: 8, reserved: 2 });
    await release({ orderId });
    const forOrder = (d: Record<string, unknown>) => d.orderId === orderId;
    expect(await eventsOnBus(call, 'product.stock.reserved', forOrder)).toHaveLength(1);
    expect(await eventsOnBus(call, 'product.stock.released', forOrder)).toHaveLength(1);
  });
});

import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { generateProduct } from '../../functions/products/store/generate.ts';
import { resetConfig } from '../../shared/config.ts';
import { adminToken, api, eventsOnBus, registerCustomer } from '../support/api.ts';

const call = api();
/** The demo catalog the runtime seeds (infra/offline/seed/products.ts): generated products 0..299 of set 'demo'. */
const seeded = Array.from({ length: 300 }, (_, n) => generateProduct('demo', n).product);
let admin: string;

beforeAll(async () => {
  admin = await adminToken(call);
});

describe('products through the offline gateway', () => {
  it('serves the seeded catalog publicly, with search and cursors', async () => {
    type Listing = {
      items: Array<{ id: string; name: string; category: string; price: { amount: number } }>;
      nextCursor: string;
    };
    const page = await call<Listing>('GET', '/products?limit=50&sort=price_asc');
    expect(page.status).toBe(200);
    expect(page.body.items).toHaveLength(50);
    expect(page.body.nextCursor).toBeTruthy();
    // The seed alone fills two pages, so "no overlap" cannot pass on an empty second page.
    const next = await call<Listing>('GET', `/products?limit=50&sort=price_asc&cursor=${page.body.nextCursor}`);
    expect(next.status).toBe(200);
    expect(next.body.items).toHaveLength(50);
    expect(next.body.items.some((i) => page.body.items.some((p) => p.id === i.id))).toBe(false);
    expect(next.body.items[0]!.price.amount).toBeGreaterThanOrEqual(page.body.items.at(-1)!.price.amount);

    const seededKnives = seeded.filter((p) => p.category === 'home-kitchen' && /knife/i.test(p.name)).map((p) => p.id);
    expect(seededKnives.length).toBeGreaterThan(0);
    const search = await call<Listing>('GET', '/products?q=knife&category=home-kitchen&limit=100');
    expect(search.status).toBe(200);
    expect(search.body.items.map((i) => i.id)).toEqual(expect.arrayContaining(seededKnives));
    expect(search.body.items.every((i) => /knife/i.test(i.name) && i.category === 'home-kitchen')).toBe(true);
    expect((await call('GET', '/products?price[$ne]=0')).status).toBe(400);
  });

  it('admin lifecycle publishes created, updated, deleted, low and depleted; customers get 403', async () => {
    const customer = await registerCustomer(call);
    const body = { name: `E2E Lamp ${randomUUID().slice(0, 6)}`, category: 'e2e', price: { amount: 4999, currency: 'USD' } };
    expect((await call('POST', '/products', { token: customer.accessToken, body })).status).toBe(403);
    expect((await call('POST', '/products', { body })).status).toBe(401);
    const created = await call<{ id: string }>('POST', '/products', { token: admin, body });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect(
      (await call('PATCH', `/products/${id}`, { token: admin, body: { price: { amount: 3999, currency: 'USD' } } })).status,
    ).toBe(200);
    expect(
      (
        await call('PUT', `/products/${id}/inventory`, {
          token: admin,
          body: { set: 3, reason: 'delivery', lowStockThreshold: 5 },
        })
      ).status,
    ).toBe(200);
    expect(
      (await call('PUT', `/products/${id}/inventory`, { token: admin, body: { adjust: -3, reason: 'damaged' } })).status,
    ).toBe(200);
    expect((await call('GET', `/products/${id}/inventory`)).body).toMatchObject({ available: 0, reserved: 0 });
    expect((await call('DELETE', `/products/${id}`, { token: admin })).status).toBe(204);
    expect((await call('GET', `/products/${id}`)).body).toMatchObject({ deleted: true });
    expect((await call('GET', '/products/not-a-product')).status).toBe(404);

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

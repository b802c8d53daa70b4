import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent, type EventEnvelope } from '../../shared/events/envelope.ts';
import { type EventPublisher, PublishFailed } from '../../shared/events/publisher.ts';
import { buildProductsService, type ProductsService } from './composition.ts';
import { createProduct } from './domain/catalog.ts';
import {
  changeInventory,
  commitStock,
  getInventory,
  releaseExpiredHold,
  releaseExpiredHolds,
  releaseStock,
  reserveStock,
} from './domain/inventory.ts';
import { handler as putInventory } from './handlers/put-inventory.ts';
import { handler as reserveTask } from './handlers/reserve-inventory.ts';
import { invokeHttp, startLocalBus } from './test-support.ts';

let bus: Awaited<ReturnType<typeof startLocalBus>>;
let service: ProductsService;
let now = Date.now();
const clock = { now: () => new Date(now) };

beforeAll(async () => {
  bus = await startLocalBus();
  service = await buildProductsService({ clock });
});
afterAll(async () => {
  await bus.stop();
});

async function productWithStock(onHand: number, lowStockThreshold = 2): Promise<string> {
  const p = await createProduct(
    service.catalog,
    { name: 'Widget', description: '', category: 'stock-test', tags: [], price: { amount: 500, currency: 'USD' } },
    'test',
  );
  if (onHand > 0) await changeInventory(service.inventory, p.id, { set: onHand, reason: 'initial', lowStockThreshold }, 'test');
  return p.id;
}
const order = () => `ord_${randomUUID()}`;
const eventsOf = (type: string, match: (data: Record<string, unknown>) => boolean) =>
  bus.events().filter((e) => e.type === type && match(e.data as Record<string, unknown>));

describe('stock signals', () => {
  it('decides low and depleted when stock changes, even behind an outbox backlog', async () => {
    // A backlog older than the change: more check records than a request's fast path publishes.
    for (let i = 0; i < 15; i++) {
      await service.stockStore.writeLevel(
        { productId: `prd_backlog_${randomUUID()}`, available: 50, lowStockThreshold: 5 },
        null,
        {
          reason: 'backlog',
          by: 'test',
          at: '2020-01-01T00:00:00.000Z',
        },
      );
    }
    const p = await createProduct(
      service.catalog,
      { name: 'Signal', description: '', category: 'stock-test', tags: [], price: { amount: 500, currency: 'USD' } },
      'test',
    );
    await changeInventory(service.inventory, p.id, { set: 3, reason: 'delivery', lowStockThreshold: 5 }, 'test');
    await changeInventory(service.inventory, p.id, { adjust: -3, reason: 'damaged' }, 'test');
    for (let i = 0; i < 5; i++) await service.relay();
    const mine = (d: Record<string, unknown>) => d.productId === p.id;
    expect(new Set(eventsOf('product.stock.low', mine).map((e) => e.id)).size).toBe(1);
    expect(new Set(eventsOf('product.stock.depleted', mine).map((e) => e.id)).size).toBe(1);
  });
});

describe('reservations', () => {
  it('100 concurrent reservations of 1 unit against stock 10 reserve exactly 10', async () => {
    const productId = await productWithStock(10);
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, () =>
        reserveStock(service.inventory, { orderId: order(), lines: [{ productId, quantity: 1 }] }, 'test'),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
    expect(ok).toHaveLength(10);
    expect(refused.every((e) => e.name === 'InsufficientStock')).toBe(true);
    expect(await getInventory(service.inventory, productId)).toMatchObject({ available: 0, reserved: 10, onHand: 10 });
    await service.relay();
    // Raised once per crossing; consumers dedupe redeliveries on the event id.
    const ids = (type: string) => new Set(eventsOf(type, (d) => d.productId === productId).map((e) => e.id));
    expect(ids('product.stock.depleted').size).toBe(1);
    // Low is raised only if a check saw the level between 1 and the threshold on the way down.
    expect(ids('product.stock.low').size).toBeLessThanOrEqual(1);
    expect((await service.catalogStore.findById(productId))?.inStock).toBe(false);
  });

  it('a multi-line reservation with one short line reserves nothing', async () => {
    const a = await productWithStock(5);
    const b = await productWithStock(1);
    const orderId = order();
    await expect(
      reserveStock(
        service.inventory,
        {
          orderId,
          lines: [
            { productId: a, quantity: 2 },
            { productId: b, quantity: 2 },
          ],
        },
        'test',
      ),
    ).rejects.toMatchObject({ name: 'InsufficientStock', details: [{ productId: b, requested: 2 }] });
    expect(await getInventory(service.inventory, a)).toMatchObject({ available: 5, reserved: 0 });
    expect(await getInventory(service.inventory, b)).toMatchObject({ available: 1, reserved: 0 });
    expect(await service.stockStore.reservation(orderId)).toBeNull();
    // A product with no stock record at all is just as short.
    const none = await productWithStock(0);
    await expect(
      reserveStock(service.inventory, { orderId, lines: [{ productId: none, quantity: 1 }] }, 'test'),
    ).rejects.toMatchObject({
      name: 'InsufficientStock',
    });
  });

  it('reserving or releasing the same order twice changes stock once', async () => {
    const productId = await productWithStock(10, 0);
    const orderId = order();
    const request = { orderId, lines: [{ productId, quantity: 3 }] };
    const [first, second] = await Promise.all([
      reserveStock(service.inventory, request, 'c'),
      reserveStock(service.inventory, request, 'c'),
    ]);
    expect(second).toEqual(first);
    await reserveStock(service.inventory, request, 'c');
    expect(await getInventory(service.inventory, productId)).toMatchObject({ available: 7, reserved: 3 });
    await Promise.all([releaseStock(service.inventory, orderId, 'c'), releaseStock(service.inventory, orderId, 'c')]);
    await releaseStock(service.inventory, orderId, 'c');
    expect(await getInventory(service.inventory, productId)).toMatchObject({ available: 10, reserved: 0 });
    await expect(reserveStock(service.inventory, request, 'c')).rejects.toMatchObject({ name: 'ReservationClosed' });
    await service.relay();
    expect(eventsOf('product.stock.reserved', (d) => d.orderId === orderId)).toHaveLength(1);
    expect(eventsOf('product.stock.released', (d) => d.orderId === orderId)).toHaveLength(1);
  });

  it('a release that arrives before the reservation closes the order', async () => {
    const productId = await productWithStock(3);
    const orderId = order();
    expect((await releaseStock(service.inventory, orderId, 'c')).status).toBe('released');
    await expect(reserveStock(service.inventory, { orderId, lines: [{ productId, quantity: 1 }] }, 'c')).rejects.toMatchObject({
      name: 'ReservationClosed',
    });
    expect(await getInventory(service.inventory, productId)).toMatchObject({ available: 3, reserved: 0 });
  });

  it('commit takes the held units out of stock once; release after commit puts them back', async () => {
    const productId = await productWithStock(5, 0);
    const orderId = order();
    await reserveStock(service.inventory, { orderId, lines: [{ productId, quantity: 2 }] }, 'c');
    await commitStock(service.inventory, orderId, 'c');
    await commitStock(service.inventory, orderId, 'c');
    expect(await getInventory(service.inventory, productId)).toMatchObject({ available: 3, reserved: 0, onHand: 3 });
    await releaseStock(service.inventory, orderId, 'c');
    expect(await getInventory(service.inventory, productId)).toMatchObject({ available: 5, reserved: 0 });
    await expect(commitStock(service.inventory, orderId, 'c')).rejects.toMatchObject({ name: 'ReservationClosed' });
  });

  it('expired holds are released by the sweep and cannot be committed, TTL or not', async () => {
    const productId = await productWithStock(4, 0);
    const [abandoned, late] = [order(), order()];
    await reserveStock(service.inventory, { orderId: abandoned, lines: [{ productId, quantity: 1 }] }, 'c');
    await reserveStock(service.inventory, { orderId: late, lines: [{ productId, quantity: 2 }] }, 'c');
    now += (service.inventory.holdMinutes + 1) * 60_000;
    try {
      await expect(commitStock(service.inventory, late, 'c')).rejects.toMatchObject({ name: 'ReservationExpired' });
      expect(await releaseExpiredHolds(service.inventory)).toBeGreaterThanOrEqual(1);
      expect(await getInventory(service.inventory, productId)).toMatchObject({ available: 4, reserved: 0 });
      expect((await service.stockStore.reservation(abandoned))?.status).toBe('released');
      await service.relay();
      expect(eventsOf('product.stock.released', (d) => d.orderId === abandoned && d.reason === 'expired')).toHaveLength(1);
    } finally {
      now = Date.now();
    }
  });

  it('the sweep never releases a committed order, even when the holds index still lists it as held', async () => {
    const productId = await productWithStock(5, 0);
    const orderId = order();
    await reserveStock(service.inventory, { orderId, lines: [{ productId, quantity: 2 }] }, 'c');
    const held = (await service.stockStore.reservation(orderId))!;
    await commitStock(service.inventory, orderId, 'c');
    now += (service.inventory.holdMinutes + 1) * 60_000;
    try {
      // A lagging GSI still returns the index entry written at reservation time.
      const staleIndex = Object.create(service.stockStore, { expiredHolds: { value: async () => [held] } });
      expect(await releaseExpiredHolds({ ...service.inventory, stock: staleIndex })).toBe(0);
      expect(await releaseExpiredHold(service.inventory, orderId, 'sweep')).toBe(false);
      // A sweep that read 'held' just before the commit landed: the store's condition alone refuses it.
      const event = createEvent('products', 'product.stock.released', { orderId, lines: held.lines, reason: 'expired' }, 'c');
      expect(await service.stockStore.releaseExpired(held, event, new Date(now).toISOString(), new Date(now).toISOString())).toBe(
        false,
      );
      // Nor a hold that is still running.
      const running = order();
      await reserveStock(service.inventory, { orderId: running, lines: [{ productId, quantity: 1 }] }, 'c');
      const hold = (await service.stockStore.reservation(running))!;
      expect(await service.stockStore.releaseExpired(hold, event, new Date(now).toISOString(), new Date(now).toISOString())).toBe(
        false,
      );
      expect(await getInventory(service.inventory, productId)).toMatchObject({ available: 2, reserved: 1, onHand: 3 });
      expect((await service.stockStore.reservation(orderId))?.status).toBe('committed');
      await service.relay();
      expect(eventsOf('product.stock.released', (d) => d.orderId === orderId)).toHaveLength(0);
    } finally {
      now = Date.now();
    }
  });

  it('the saga task validates its input and fails by name', async () => {
    await expect(reserveTask({ orderId: 'x', lines: [] })).rejects.toMatchObject({ name: 'ValidationFailed' });
    const productId = await productWithStock(1);
    await expect(reserveTask({ orderId: order(), lines: [{ productId, quantity: 2 }] })).rejects.toMatchObject({
      name: 'InsufficientStock',
    });
  });
});

describe('admin stock changes', () => {
  it('sets and adjusts with a reason, never below what is reserved', async () => {
    const productId = await productWithStock(5);
    await reserveStock(service.inventory, { orderId: order(), lines: [{ productId, quantity: 4 }] }, 'c');
    const path = { id: productId };
    expect((await invokeHttp(putInventory, { role: 'admin', path, body: { set: 3, reason: 'count' } })).status).toBe(409);
    expect((await invokeHttp(putInventory, { role: 'admin', path, body: { adjust: -2, reason: 'broken' } })).status).toBe(409);
    expect(await invokeHttp(putInventory, { role: 'admin', path, body: { set: 10, reason: 'delivery' } })).toMatchObject({
      status: 200,
      body: { available: 6, reserved: 4, onHand: 10 },
    });
    expect(await invokeHttp(putInventory, { role: 'admin', path, body: { adjust: -1, reason: 'broken' } })).toMatchObject({
      status: 200,
      body: { available: 5, onHand: 9 },
    });
    expect((await invokeHttp(putInventory, { role: 'admin', path, body: { set: 10 } })).status).toBe(400);
  });
});

describe('outbox relay', () => {
  it('a relay killed mid-way publishes the rest on the next run: nothing lost', async () => {
    const products = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        service.catalogStore.insert(
          {
            id: `prd_relaytest${String(i).padStart(14, '0')}${randomUUID().slice(0, 4)}`.slice(0, 30),
            name: `Relay ${i}`,
            description: '',
            category: 'relay-test',
            tags: [],
            price: { amount: 1, currency: 'USD' },
            available: 0,
            inStock: false,
            deleted: false,
            deletedAt: null,
            createdAt: new Date().toISOString(),
            updatedAt: new Date().toISOString(),
            version: 1,
          },
          [1, 2].map((n) => ({
            id: `evt_relay_${i}_${n}_${randomUUID()}`,
            type: 'product.deleted',
            source: 'shop.products',
            occurredAt: new Date().toISOString(),
            correlationId: 'relay-test',
            version: 1,
            data: { productId: `p${i}`, deletedAt: new Date().toISOString() },
          })),
        ),
      ),
    );
    expect(products).toHaveLength(6);
    const all = (await service.catalogStore.pending(1000)).filter((r) => r.events.some((e) => e.correlationId === 'relay-test'));
    const expected = all.flatMap((r) => r.events.map((e) => e.id));
    expect(expected).toHaveLength(12);

    const delivered: string[] = [];
    const crashingAfter = (n: number): EventPublisher => ({
      async publish(events: EventEnvelope[]) {
        const ok = events.slice(0, Math.max(0, n - delivered.length)).map((e) => e.id);
        delivered.push(...ok);
        if (ok.length < events.length) {
          throw new PublishFailed(
            ok,
            events.slice(ok.length).map((e) => ({ id: e.id, reason: 'relay killed' })),
          );
        }
      },
    });
    const first = await service.relay(crashingAfter(5));
    expect(first.failed).toBeGreaterThan(0);
    const afterCrash = new Set(delivered);
    await service.relay(crashingAfter(Number.POSITIVE_INFINITY));
    for (const id of expected) expect(delivered).toContain(id);
    const relayIds = delivered.filter((id) => expected.includes(id));
    expect(relayIds.length).toBe(expected.length);
    expect([...afterCrash].every((id) => relayIds.filter((x) => x === id).length === 1)).toBe(true);
    expect(
      (await service.catalogStore.pending(1000)).filter((r) => r.events.some((e) => e.correlationId === 'relay-test')),
    ).toEqual([]);
  });
});

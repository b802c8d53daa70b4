import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../../shared/events/envelope.ts';
import { EventBridgePublisher, type EventPublisher, PublishFailed } from '../../shared/events/publisher.ts';
import { buildProductsService, type ProductsService } from './composition.ts';
import { createProduct } from './domain/catalog.ts';
import { changeInventory, reserveStock } from './domain/inventory.ts';
import { handler as putInventory } from './handlers/put-inventory.ts';
import { handler as reserveTask } from './handlers/reserve-inventory.ts';
import { stockReservationCases, TestClock } from './stock-cases.ts';
import { invokeHttp, startLocalBus } from './test-support.ts';

let bus: Awaited<ReturnType<typeof startLocalBus>>;
let service: ProductsService;
const clock = new TestClock();

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

describe('catalog outbox relay', () => {
  it('an event whose fast path failed goes out on the next full catalog sweep, which runs at most every 10 s', async () => {
    const sweepClock = new TestClock();
    const down: EventPublisher = {
      publish: async () => {
        throw new Error('EventBridge is down');
      },
    };
    // Its own service: the fast path publishes through `down`, the relay through the local bus.
    const svc = await buildProductsService({ clock: sweepClock, publisher: down });
    const up = new EventBridgePublisher();
    // Leftovers of other tests go out first, until a sweep finds nothing and starts the interval.
    for (let i = 0; i < 20 && (await svc.relay(up)).published; i++);
    const p = await createProduct(
      svc.catalog,
      { name: 'Swept', description: '', category: 'stock-test', tags: [], price: { amount: 500, currency: 'USD' } },
      'test',
    );
    const created = () => eventsOf('product.created', (d) => d.productId === p.id);
    expect(created()).toHaveLength(0);
    sweepClock.advance(9_000);
    await svc.relay(up);
    expect(created()).toHaveLength(0);
    sweepClock.advance(1_000);
    await svc.relay(up);
    expect(created()).toHaveLength(1);
    await svc.relay(up);
    expect(created()).toHaveLength(1);
  });
});

stockReservationCases(() => ({
  inventory: service.inventory,
  clock,
  productWithStock,
  relay: () => service.relay(),
  events: () => bus.events(),
}));

describe('reservations: the saga task', () => {
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
    // Its own service: no earlier test's relay has started its catalog sweep interval.
    const own = await buildProductsService({ clock: new TestClock() });
    const products = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        own.catalogStore.insert(
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
    const all = (await own.catalogStore.pending(1000)).filter((r) => r.events.some((e) => e.correlationId === 'relay-test'));
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
    const first = await own.relay(crashingAfter(5));
    expect(first.failed).toBeGreaterThan(0);
    const afterCrash = new Set(delivered);
    await own.relay(crashingAfter(Number.POSITIVE_INFINITY));
    for (const id of expected) expect(delivered).toContain(id);
    const relayIds = delivered.filter((id) => expected.includes(id));
    expect(relayIds.length).toBe(expected.length);
    expect([...afterCrash].every((id) => relayIds.filter((x) => x === id).length === 1)).toBe(true);
    expect((await own.catalogStore.pending(1000)).filter((r) => r.events.some((e) => e.correlationId === 'relay-test'))).toEqual(
      [],
    );
  });
});

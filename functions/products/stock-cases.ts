import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createEvent, type EventEnvelope } from '../../shared/events/envelope.ts';
import {
  commitStock,
  getInventory,
  type InventoryDeps,
  releaseExpiredHold,
  releaseExpiredHolds,
  releaseStock,
  reserveStock,
} from './domain/inventory.ts';
import type { Clock, StockStore } from './domain/ports.ts';

/** A clock the cases move past a hold's expiry; `reset` goes back to real time. */
export class TestClock implements Clock {
  private at: number | null = null;
  now(): Date {
    return new Date(this.at ?? Date.now());
  }
  advance(ms: number): void {
    this.at = (this.at ?? Date.now()) + ms;
  }
  reset(): void {
    this.at = null;
  }
}

/** What the reservation cases need from a DynamoDB behind the stock store: dynalite with our transactions, or moto. */
export interface StockHarness {
  inventory: InventoryDeps & { stock: StockStore };
  clock: TestClock;
  productWithStock(onHand: number, lowStockThreshold?: number): Promise<string>;
  /** Drains the stock outbox (signals checked before each record is acknowledged) to the harness's publisher. */
  relay(): Promise<unknown>;
  /** Every event published so far. */
  events(): EventEnvelope[];
}

const order = () => `ord_${randomUUID()}`;

/**
 * The stock store's reservation and transaction cases, defined once and run against every DynamoDB we trust it to:
 * dynalite fronted by our TransactWriteItems layer (inventory.int.test.ts) and moto_server (stock.contract.test.ts).
 */
export function stockReservationCases(harness: () => StockHarness): void {
  const eventsOf = (type: string, match: (data: Record<string, unknown>) => boolean) =>
    harness()
      .events()
      .filter((e) => e.type === type && match(e.data as Record<string, unknown>));

  describe('reservations', () => {
    it('100 concurrent reservations of 1 unit against stock 10 reserve exactly 10', async () => {
      const h = harness();
      const productId = await h.productWithStock(10);
      const results = await Promise.allSettled(
        Array.from({ length: 100 }, () =>
          reserveStock(h.inventory, { orderId: order(), lines: [{ productId, quantity: 1 }] }, 'test'),
        ),
      );
      const ok = results.filter((r) => r.status === 'fulfilled');
      const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
      expect(ok).toHaveLength(10);
      expect(refused.map((e) => e.name)).toEqual(Array(90).fill('InsufficientStock'));
      expect(await getInventory(h.inventory, productId)).toMatchObject({ available: 0, reserved: 10, onHand: 10 });
      await h.relay();
      // Raised once per crossing; consumers dedupe redeliveries on the event id.
      const ids = (type: string) => new Set(eventsOf(type, (d) => d.productId === productId).map((e) => e.id));
      expect(ids('product.stock.depleted').size).toBe(1);
      // Low is raised only if a check saw the level between 1 and the threshold on the way down.
      expect(ids('product.stock.low').size).toBeLessThanOrEqual(1);
      expect((await h.inventory.catalog.findById(productId))?.inStock).toBe(false);
    });

    it('a multi-line reservation with one short line reserves nothing', async () => {
      const h = harness();
      const a = await h.productWithStock(5);
      const b = await h.productWithStock(1);
      const orderId = order();
      await expect(
        reserveStock(
          h.inventory,
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
      expect(await getInventory(h.inventory, a)).toMatchObject({ available: 5, reserved: 0 });
      expect(await getInventory(h.inventory, b)).toMatchObject({ available: 1, reserved: 0 });
      expect(await h.inventory.stock.reservation(orderId)).toBeNull();
      // A product with no stock record at all is just as short.
      const none = await h.productWithStock(0);
      await expect(
        reserveStock(h.inventory, { orderId, lines: [{ productId: none, quantity: 1 }] }, 'test'),
      ).rejects.toMatchObject({ name: 'InsufficientStock' });
    });

    it('every short line of a refused reservation is named, as DynamoDB reports every failed condition', async () => {
      const h = harness();
      const [a, b, c] = [await h.productWithStock(1), await h.productWithStock(5), await h.productWithStock(0)];
      const orderId = order();
      const lines = [
        { productId: a, quantity: 2 },
        { productId: b, quantity: 2 },
        { productId: c, quantity: 1 },
      ];
      const refused = await reserveStock(h.inventory, { orderId, lines }, 'test').catch((e: unknown) => e);
      expect(refused).toMatchObject({ name: 'InsufficientStock' });
      expect((refused as { details: unknown[] }).details).toEqual(
        expect.arrayContaining([
          { productId: a, requested: 2 },
          { productId: c, requested: 1 },
        ]),
      );
      expect((refused as { details: unknown[] }).details).toHaveLength(2);
      for (const [id, available] of [
        [a, 1],
        [b, 5],
        [c, 0],
      ] as const)
        expect(await getInventory(h.inventory, id)).toMatchObject({ available, reserved: 0 });
      expect(await h.inventory.stock.reservation(orderId)).toBeNull();
    });

    it('a repeated order id is reported as existing, not as short, even when stock ran out since', async () => {
      const h = harness();
      const productId = await h.productWithStock(2);
      const orderId = order();
      const first = await reserveStock(h.inventory, { orderId, lines: [{ productId, quantity: 2 }] }, 'c');
      // Stock is now 0: both the reservation's put and the line's condition fail; the order is recognised.
      expect(await reserveStock(h.inventory, { orderId, lines: [{ productId, quantity: 2 }] }, 'c')).toEqual(first);
      expect(await getInventory(h.inventory, productId)).toMatchObject({ available: 0, reserved: 2 });
    });

    it('reserving or releasing the same order twice changes stock once', async () => {
      const h = harness();
      const productId = await h.productWithStock(10, 0);
      const orderId = order();
      const request = { orderId, lines: [{ productId, quantity: 3 }] };
      const [first, second] = await Promise.all([
        reserveStock(h.inventory, request, 'c'),
        reserveStock(h.inventory, request, 'c'),
      ]);
      expect(second).toEqual(first);
      await reserveStock(h.inventory, request, 'c');
      expect(await getInventory(h.inventory, productId)).toMatchObject({ available: 7, reserved: 3 });
      await Promise.all([releaseStock(h.inventory, orderId, 'c'), releaseStock(h.inventory, orderId, 'c')]);
      await releaseStock(h.inventory, orderId, 'c');
      expect(await getInventory(h.inventory, productId)).toMatchObject({ available: 10, reserved: 0 });
      await expect(reserveStock(h.inventory, request, 'c')).rejects.toMatchObject({ name: 'ReservationClosed' });
      await h.relay();
      expect(eventsOf('product.stock.reserved', (d) => d.orderId === orderId)).toHaveLength(1);
      expect(eventsOf('product.stock.released', (d) => d.orderId === orderId)).toHaveLength(1);
    });

    it('a release that arrives before the reservation closes the order', async () => {
      const h = harness();
      const productId = await h.productWithStock(3);
      const orderId = order();
      expect((await releaseStock(h.inventory, orderId, 'c')).status).toBe('released');
      await expect(reserveStock(h.inventory, { orderId, lines: [{ productId, quantity: 1 }] }, 'c')).rejects.toMatchObject({
        name: 'ReservationClosed',
      });
      expect(await getInventory(h.inventory, productId)).toMatchObject({ available: 3, reserved: 0 });
    });

    it('commit takes the held units out of stock once; release after commit puts them back', async () => {
      const h = harness();
      const productId = await h.productWithStock(5, 0);
      const orderId = order();
      await reserveStock(h.inventory, { orderId, lines: [{ productId, quantity: 2 }] }, 'c');
      await Promise.all([commitStock(h.inventory, orderId, 'c'), commitStock(h.inventory, orderId, 'c')]);
      await commitStock(h.inventory, orderId, 'c');
      expect(await getInventory(h.inventory, productId)).toMatchObject({ available: 3, reserved: 0, onHand: 3 });
      await releaseStock(h.inventory, orderId, 'c');
      await releaseStock(h.inventory, orderId, 'c');
      expect(await getInventory(h.inventory, productId)).toMatchObject({ available: 5, reserved: 0 });
      await expect(commitStock(h.inventory, orderId, 'c')).rejects.toMatchObject({ name: 'ReservationClosed' });
    });

    it('expired holds are released by the sweep and cannot be committed, TTL or not', async () => {
      const h = harness();
      const productId = await h.productWithStock(4, 0);
      const [abandoned, late] = [order(), order()];
      await reserveStock(h.inventory, { orderId: abandoned, lines: [{ productId, quantity: 1 }] }, 'c');
      await reserveStock(h.inventory, { orderId: late, lines: [{ productId, quantity: 2 }] }, 'c');
      h.clock.advance((h.inventory.holdMinutes + 1) * 60_000);
      try {
        await expect(commitStock(h.inventory, late, 'c')).rejects.toMatchObject({ name: 'ReservationExpired' });
        expect(await releaseExpiredHolds(h.inventory)).toBeGreaterThanOrEqual(1);
        expect(await getInventory(h.inventory, productId)).toMatchObject({ available: 4, reserved: 0 });
        expect((await h.inventory.stock.reservation(abandoned))?.status).toBe('released');
        await h.relay();
        expect(eventsOf('product.stock.released', (d) => d.orderId === abandoned && d.reason === 'expired')).toHaveLength(1);
      } finally {
        h.clock.reset();
      }
    });

    it('the sweep never releases a committed order, even when the holds index still lists it as held', async () => {
      const h = harness();
      const stock = h.inventory.stock;
      const productId = await h.productWithStock(5, 0);
      const orderId = order();
      await reserveStock(h.inventory, { orderId, lines: [{ productId, quantity: 2 }] }, 'c');
      const held = (await stock.reservation(orderId))!;
      await commitStock(h.inventory, orderId, 'c');
      h.clock.advance((h.inventory.holdMinutes + 1) * 60_000);
      const now = h.clock.now().toISOString();
      try {
        // A lagging GSI still returns the index entry written at reservation time.
        const staleIndex = Object.create(stock, { expiredHolds: { value: async () => [held] } });
        expect(await releaseExpiredHolds({ ...h.inventory, stock: staleIndex })).toBe(0);
        expect(await releaseExpiredHold(h.inventory, orderId, 'sweep')).toBe(false);
        // A sweep that read 'held' just before the commit landed: the store's condition alone refuses it.
        const event = createEvent('products', 'product.stock.released', { orderId, lines: held.lines, reason: 'expired' }, 'c');
        expect(await stock.releaseExpired(held, event, now, now)).toBe(false);
        // Nor a hold that is still running.
        const running = order();
        await reserveStock(h.inventory, { orderId: running, lines: [{ productId, quantity: 1 }] }, 'c');
        const hold = (await stock.reservation(running))!;
        expect(await stock.releaseExpired(hold, event, now, now)).toBe(false);
        expect(await getInventory(h.inventory, productId)).toMatchObject({ available: 2, reserved: 1, onHand: 3 });
        expect((await stock.reservation(orderId))?.status).toBe('committed');
        await h.relay();
        expect(eventsOf('product.stock.released', (d) => d.orderId === orderId)).toHaveLength(0);
      } finally {
        h.clock.reset();
      }
    });
  });
}

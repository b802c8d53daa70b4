import { describe, expect, it } from 'vitest';
import { Conflict, DependencyFailed, NotFound } from '../../../shared/errors.ts';
import { statusOf } from '../../../shared/http/errors.ts';
import { InsufficientStock } from './errors.ts';
import {
  availableAfter,
  changeInventory,
  decideAlerts,
  getInventory,
  InventoryChange,
  type InventoryDeps,
  normalizeLines,
  StockRequest,
} from './inventory.ts';
import { type CatalogStore, type StockLevel, type StockStore, systemClock } from './ports.ts';

const level = (over: Partial<StockLevel> = {}): StockLevel => ({
  productId: 'p',
  available: 8,
  reserved: 2,
  lowStockThreshold: 3,
  lowAlerted: false,
  depletedAlerted: false,
  version: 4,
  updatedAt: null,
  ...over,
});

describe('inventory rules', () => {
  it('setting on-hand keeps the reserved units held; never below them', () => {
    expect(availableAfter(level(), InventoryChange.parse({ set: 10, reason: 'count' }))).toBe(8);
    expect(availableAfter(level(), InventoryChange.parse({ set: 2, reason: 'count' }))).toBe(0);
    expect(() => availableAfter(level(), InventoryChange.parse({ set: 1, reason: 'count' }))).toThrow(Conflict);
    expect(availableAfter(level(), InventoryChange.parse({ adjust: -8, reason: 'broken' }))).toBe(0);
    expect(() => availableAfter(level(), InventoryChange.parse({ adjust: -9, reason: 'broken' }))).toThrow(Conflict);
  });

  it('a change needs a reason and exactly one of set/adjust', () => {
    expect(InventoryChange.safeParse({ set: 1 }).success).toBe(false);
    expect(InventoryChange.safeParse({ set: 1, adjust: 2, reason: 'x' }).success).toBe(false);
    expect(InventoryChange.safeParse({ adjust: 0, reason: 'x' }).success).toBe(false);
    expect(InventoryChange.safeParse({ set: { $gt: 0 }, reason: 'x' }).success).toBe(false);
  });

  it('merges repeated products of an order and orders lines stably', () => {
    expect(
      normalizeLines([
        { productId: 'b', quantity: 1 },
        { productId: 'a', quantity: 2 },
        { productId: 'b', quantity: 3 },
      ]),
    ).toEqual([
      { productId: 'a', quantity: 2 },
      { productId: 'b', quantity: 4 },
    ]);
    expect(StockRequest.safeParse({ orderId: 'o', lines: [{ productId: 'a', quantity: 0 }] }).success).toBe(false);
  });

  it('raises low and depleted once per crossing and re-arms above the threshold', () => {
    expect(decideAlerts(level({ available: 8 }))).toBeNull();
    expect(decideAlerts(level({ available: 3 }))).toEqual({ lowAlerted: true, depletedAlerted: false, raise: ['low'] });
    expect(decideAlerts(level({ available: 2, lowAlerted: true }))).toBeNull();
    expect(decideAlerts(level({ available: 0, lowAlerted: true }))).toEqual({
      lowAlerted: true,
      depletedAlerted: true,
      raise: ['depleted'],
    });
    expect(decideAlerts(level({ available: 0, lowAlerted: true, depletedAlerted: true }))).toBeNull();
    expect(decideAlerts(level({ available: 9, lowAlerted: true, depletedAlerted: true }))).toEqual({
      lowAlerted: false,
      depletedAlerted: false,
      raise: [],
    });
  });

  it('insufficient stock is a typed error the saga catches by name', () => {
    const error = new InsufficientStock([{ productId: 'a', requested: 3 }]);
    expect(error.name).toBe('InsufficientStock');
    expect(error.code).toBe('INSUFFICIENT_STOCK');
  });
});

describe('inventory of a product the catalog cannot confirm', () => {
  const id = 'prd_0000000000aaaaaaaaaaaaaaaa';
  const level: StockStore['level'] = async () => null;
  const deps = (findById: CatalogStore['findById']): InventoryDeps => ({
    stock: { level } as StockStore,
    catalog: { findById, syncAvailability: async () => {} },
    clock: systemClock,
    holdMinutes: 15,
    keepClosedDays: 30,
    flush: async () => {},
  });

  it('a failing catalog is a dependency failure (503), not a missing product', async () => {
    const down = deps(() => Promise.reject(new DependencyFailed('Database unavailable')));
    const error = await getInventory(down, id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyFailed);
    expect(statusOf(error as DependencyFailed)).toBe(503);
    await expect(changeInventory(down, id, { set: 1, reason: 'count' }, 'admin')).rejects.toBeInstanceOf(DependencyFailed);
    const bug = new TypeError('boom');
    await expect(
      getInventory(
        deps(() => Promise.reject(bug)),
        id,
      ),
    ).rejects.toBe(bug);
  });

  it('an unknown or malformed id is a 404', async () => {
    await expect(
      getInventory(
        deps(async () => null),
        id,
      ),
    ).rejects.toBeInstanceOf(NotFound);
    const asked: string[] = [];
    await expect(
      getInventory(
        deps(async (productId) => {
          asked.push(productId);
          return null;
        }),
        'not-a-product',
      ),
    ).rejects.toBeInstanceOf(NotFound);
    expect(asked).toEqual([]);
  });
});

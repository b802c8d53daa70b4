import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildProductsService, type ProductsService } from './composition.ts';
import { generateProduct } from './store/generate.ts';

// The batched writes of the offline seed (infra/offline/seed/products.ts) store what the one-by-one writes stored.
let service: ProductsService;
beforeAll(async () => {
  service = await buildProductsService();
});
const audit = { reason: 'demo seed', by: 'seed', at: '2026-01-01T00:00:00.000Z' };

describe('seedLevels', () => {
  it('writes an absent level exactly as writeLevel(level, null) without signals does, and leaves a present one alone', async () => {
    const one = `prd_seed_${randomUUID()}`;
    const batched = `prd_seed_${randomUUID()}`;
    const present = `prd_seed_${randomUUID()}`;
    await service.stockStore.writeLevel({ productId: one, available: 7, lowStockThreshold: 5 }, null, audit, {
      checkSignals: false,
    });
    await service.stockStore.writeLevel({ productId: present, available: 3, lowStockThreshold: 1 }, null, audit);

    const written = await service.stockStore.seedLevels(
      [
        { productId: batched, available: 7, lowStockThreshold: 5 },
        { productId: present, available: 99, lowStockThreshold: 5 },
      ],
      audit,
    );

    expect([...written]).toEqual([batched]);
    expect({ ...(await service.stockStore.level(batched)), productId: one }).toEqual(await service.stockStore.level(one));
    expect(await service.stockStore.level(present)).toMatchObject({ available: 3, lowStockThreshold: 1, version: 1 });
  });

  it('writes more levels than one batch request takes', async () => {
    const ids = Array.from({ length: 130 }, () => `prd_seed_${randomUUID()}`);
    const written = await service.stockStore.seedLevels(
      ids.map((productId) => ({ productId, available: 1, lowStockThreshold: 0 })),
      audit,
    );
    expect(written.size).toBe(130);
    expect(await service.stockStore.level(ids[129]!)).toMatchObject({ available: 1, version: 1 });
  });
});

describe('seedMany', () => {
  it('inserts the products not stored yet with their stock, with no outbox event, and leaves stored ones alone', async () => {
    const prefix = `seed${randomUUID().slice(0, 8)}`;
    const stored = generateProduct(prefix, 0).product;
    await service.catalogStore.insert(stored, []);
    const fresh = generateProduct(prefix, 1).product;

    const created = await service.catalogStore.seedMany([
      { product: { ...stored, name: 'Changed' }, stockVersion: 1 },
      { product: { ...fresh, available: 4, inStock: true }, stockVersion: 1 },
    ]);

    expect([...created]).toEqual([fresh.id]);
    expect(await service.catalogStore.findById(stored.id)).toEqual(stored);
    expect(await service.catalogStore.findById(fresh.id)).toEqual({ ...fresh, available: 4, inStock: true });
    expect((await service.catalogStore.pending(10, fresh.id)).length).toBe(0);
    // Its stock version is the level's, so an older availability sync is ignored and a newer one applies.
    await service.catalogStore.syncAvailability(fresh.id, 0, 1);
    expect((await service.catalogStore.findById(fresh.id))?.available).toBe(4);
    await service.catalogStore.syncAvailability(fresh.id, 2, 2);
    expect((await service.catalogStore.findById(fresh.id))?.available).toBe(2);
  });
});

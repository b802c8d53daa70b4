import { productsService } from '../../../functions/products/composition.ts';
import { categories, generateProduct } from '../../../functions/products/store/generate.ts';
import type { Seeder } from './index.ts';

const SEED_PRODUCTS = 300;
const SEED_CONCURRENCY = 25;

/** A demo catalog with stock; products and stock records that already exist are left as they are. */
export const productsSeeder: Seeder = {
  service: 'products',
  async seed(ctx) {
    const { catalogStore, stockStore } = await productsService();
    let created = 0;
    const seedOne = async (n: number) => {
      const { product, onHand } = generateProduct('demo', n);
      if (!(await catalogStore.findById(product.id))) {
        await catalogStore.insert(product, []);
        created++;
      }
      // An initial data load, not a stock change: no signal check, as the catalog inserts carry no events either.
      const written =
        onHand > 0 &&
        (await stockStore.writeLevel(
          { productId: product.id, available: onHand, lowStockThreshold: 5 },
          null,
          { reason: 'demo seed', by: 'seed', at: new Date().toISOString() },
          { checkSignals: false },
        ));
      if (written) await catalogStore.syncAvailability(product.id, onHand, 1);
    };
    // Several products at a time: each one's writes stay in order, the round trips overlap.
    for (let n = 0; n < SEED_PRODUCTS; n += SEED_CONCURRENCY) {
      await Promise.all(Array.from({ length: Math.min(SEED_CONCURRENCY, SEED_PRODUCTS - n) }, (_, i) => seedOne(n + i)));
    }
    ctx.log(created ? `created ${created} products` : 'catalog already seeded');
    return { products: `${SEED_PRODUCTS} in ${categories.length} categories` };
  },
};

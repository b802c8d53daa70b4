import { productsService } from '../../../functions/products/composition.ts';
import { categories, generateProduct } from '../../../functions/products/store/generate.ts';
import type { Seeder } from './index.ts';

const SEED_PRODUCTS = 300;

/** A demo catalog with stock; products and stock records that already exist are left as they are. */
export const productsSeeder: Seeder = {
  service: 'products',
  async seed(ctx) {
    const { catalogStore, stockStore } = await productsService();
    let created = 0;
    for (let n = 0; n < SEED_PRODUCTS; n++) {
      const { product, onHand } = generateProduct('demo', n);
      if (!(await catalogStore.findById(product.id))) {
        await catalogStore.insert(product, []);
        created++;
      }
      const at = new Date().toISOString();
      if (
        onHand > 0 &&
        (await stockStore.writeLevel({ productId: product.id, available: onHand, lowStockThreshold: 5 }, null, {
          reason: 'demo seed',
          by: 'seed',
          at,
        }))
      ) {
        await catalogStore.syncAvailability(product.id, onHand, 1);
      }
    }
    ctx.log(created ? `created ${created} products` : 'catalog already seeded');
    return { products: `${SEED_PRODUCTS} in ${categories.length} categories` };
  },
};

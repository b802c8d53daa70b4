import { ordersApp } from '../../../functions/orders/composition.ts';
import { generateProduct } from '../../../functions/products/store/generate.ts';
import type { Seeder } from './index.ts';

const SEED_PRODUCTS = 300;

/**
 * The demo catalog goes into the products store without events (seed/products.ts), so the orders price read model would
 * never hear of it: this fills the read model from the same generator, as an EventBridge archive replay would in AWS.
 * Versions make it idempotent: a product changed or deleted through the API since keeps its newer state.
 */
export const ordersSeeder: Seeder = {
  service: 'orders',
  async seed(ctx) {
    const { prices } = await ordersApp();
    for (let n = 0; n < SEED_PRODUCTS; n += 25) {
      await Promise.all(
        Array.from({ length: Math.min(25, SEED_PRODUCTS - n) }, async (_, i) => {
          const { product } = generateProduct('demo', n + i);
          await prices.apply({
            kind: 'upsert',
            productId: product.id,
            name: product.name,
            price: product.price,
            version: product.version,
            eventId: `seed-${product.id}`,
          });
        }),
      );
    }
    ctx.log(`price read model holds the ${SEED_PRODUCTS} demo products`);
    return undefined;
  },
};

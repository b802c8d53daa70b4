import type { Pool } from '../../../shared/db/postgres.ts';
import type { PricedProduct } from '../domain/placement.ts';
import type { PriceBook, ProductUpdate } from '../domain/ports.ts';

/**
 * Product names and prices as the products service last announced them. Events may arrive twice or out of order:
 * a version older than the kept one changes nothing and a deletion is final, so applying them is idempotent.
 */
export class PgPriceBook implements PriceBook {
  constructor(private readonly pool: Pool) {}

  async lookup(productIds: string[]): Promise<Map<string, PricedProduct>> {
    const { rows } = await this.pool.query<{
      product_id: string;
      name: string | null;
      currency: string | null;
      amount: number | null;
      deleted: boolean;
    }>('SELECT product_id, name, currency, amount, deleted FROM product_prices WHERE product_id = ANY($1::text[])', [productIds]);
    return new Map(
      rows.map((r) => [
        r.product_id,
        {
          productId: r.product_id,
          name: r.name ?? '',
          price: { amount: r.amount ?? 0, currency: r.currency ?? 'XXX' },
          deleted: r.deleted || r.name === null,
        },
      ]),
    );
  }

  async apply(update: ProductUpdate): Promise<void> {
    if (update.kind === 'delete') {
      await this.pool.query(
        `INSERT INTO product_prices (product_id, version, deleted) VALUES ($1, 0, true)
         ON CONFLICT (product_id) DO UPDATE SET deleted = true, updated_at = now()`,
        [update.productId],
      );
      return;
    }
    await this.pool.query(
      `INSERT INTO product_prices (product_id, name, currency, amount, version) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (product_id) DO UPDATE SET name = EXCLUDED.name, currency = EXCLUDED.currency, amount = EXCLUDED.amount,
         version = EXCLUDED.version, updated_at = now()
       WHERE product_prices.version < EXCLUDED.version OR product_prices.name IS NULL`,
      [update.productId, update.name, update.price.currency, update.price.amount, update.version],
    );
  }
}

import { cachedOnce } from '../../shared/cache.ts';
import { mongoDatabase } from '../../shared/db/mongo-client.ts';
import type { CatalogReader } from './domain/ports.ts';
import { MongoCatalogReader, PRODUCTS_COLLECTION, type ProductDocument } from './store/catalog-reader.ts';

export interface ProductsReads {
  catalog: CatalogReader;
}

/**
 * The public catalog reads (GET /products, GET /products/{id}) wired with the bare MongoDB driver: no mongoose, no
 * DynamoDB client, no publisher, so their cold start, the one a shopper waits for, carries none of the write path.
 * Builds no indexes: nothing can be read that a write did not store, and every write path builds them first
 * (MongoCatalogStore.init in composition.ts; offline, the seed at start). Their handlers must not import composition.ts.
 */
export async function buildProductsReads(): Promise<ProductsReads> {
  const db = await mongoDatabase('products');
  return { catalog: new MongoCatalogReader(db.collection<ProductDocument>(PRODUCTS_COLLECTION)) };
}

/** Built once per container (per Lambda instance) and reused. */
export const productsReads = cachedOnce(buildProductsReads);

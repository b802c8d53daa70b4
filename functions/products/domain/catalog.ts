import { Conflict, NotFound } from '../../../shared/errors.ts';
import { createEvent } from '../../../shared/events/envelope.ts';
import { newId } from '../../../shared/ids.ts';
import { decodeProductCursor, encodeProductCursor } from './cursor.ts';
import type { CatalogReader, CatalogStore, Clock } from './ports.ts';
import {
  applyPatch,
  isProductId,
  markDeleted,
  type NewProduct,
  newProduct,
  type Product,
  type ProductPatch,
  type SearchQuery,
} from './product.ts';
import { nameKey, queryTokens } from './search-tokens.ts';

export interface CatalogDeps {
  catalog: CatalogStore;
  clock: Clock;
  /** Publishes what a write left in the product's outbox; best effort, the scheduled relay catches up. */
  flush(productId: string): Promise<void>;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

const productEvent = (type: string, data: unknown, correlationId: string) => createEvent('products', type, data, correlationId);

export async function createProduct(deps: CatalogDeps, input: NewProduct, correlationId: string): Promise<Product> {
  const product = newProduct(newId('prd', deps.clock.now().getTime()), input, deps.clock.now().toISOString());
  const event = productEvent(
    'product.created',
    { productId: product.id, name: product.name, category: product.category, tags: product.tags, price: product.price },
    correlationId,
  );
  await deps.catalog.insert(product, [event]);
  await deps.flush(product.id);
  return product;
}

/** Soft-deleted products stay resolvable by id (orders refer to them); the `deleted` flag says so. */
export async function getProduct(deps: { catalog: CatalogReader }, id: string): Promise<Product> {
  const product = isProductId(id) ? await deps.catalog.findById(id) : null;
  if (!product) throw new NotFound(`No product ${id}`);
  return product;
}

/** Read, change in memory, write back if nobody else wrote in between; a few retries absorb concurrent edits. */
async function change(
  deps: CatalogDeps,
  id: string,
  mutate: (current: Product) => { product: Product; events: (p: Product) => unknown[] } | null,
): Promise<Product> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await getProduct(deps, id);
    const result = mutate(current);
    if (!result) return current;
    const events = result.events(result.product) as ReturnType<typeof productEvent>[];
    if (await deps.catalog.replace(result.product, current.version, events)) {
      await deps.flush(id);
      return result.product;
    }
  }
  throw new Conflict('The product is being changed by someone else; try again');
}

export function updateProduct(deps: CatalogDeps, id: string, patch: ProductPatch, correlationId: string): Promise<Product> {
  return change(deps, id, (current) => {
    if (current.deleted) throw new NotFound(`No product ${id}`);
    if (patch.expectedVersion !== undefined && patch.expectedVersion !== current.version) {
      throw new Conflict('The product changed since you read it', {
        expectedVersion: patch.expectedVersion,
        version: current.version,
      });
    }
    const { product, changed } = applyPatch(current, patch, deps.clock.now().toISOString());
    if (!changed.length) return null;
    return {
      product,
      events: (p) => [
        productEvent(
          'product.updated',
          { productId: p.id, version: p.version, changed, name: p.name, category: p.category, price: p.price },
          correlationId,
        ),
      ],
    };
  });
}

/** Idempotent: deleting a deleted product changes nothing and publishes nothing. */
export function deleteProduct(deps: CatalogDeps, id: string, correlationId: string): Promise<Product> {
  return change(deps, id, (current) => {
    if (current.deleted) return null;
    const product = markDeleted(current, deps.clock.now().toISOString());
    return {
      product,
      events: (p) => [productEvent('product.deleted', { productId: p.id, deletedAt: p.deletedAt }, correlationId)],
    };
  });
}

/** What a cursor carries: the sort value, except that name pages carry the name itself (see searchProducts). */
function cursorValue(product: Product, sort: SearchQuery['sort']): string | number {
  if (sort === 'price_asc' || sort === 'price_desc') return product.price.amount;
  if (sort === 'name') return product.name;
  return product.createdAt;
}

/** Keyset pagination: the cursor is the last item's sort value and id, so pages never overlap or skip while products are added. */
export async function searchProducts(deps: { catalog: CatalogReader }, query: SearchQuery): Promise<Page<Product>> {
  const decoded = query.cursor ? decodeProductCursor(query.cursor, query.sort) : undefined;
  // The sort key is derived from the name and NFKD can make it 18 times longer (ﷺ); the name is bounded, so it travels instead.
  const after = decoded?.sort === 'name' ? { ...decoded, value: nameKey(String(decoded.value)) } : decoded;
  const found = await deps.catalog.search({
    tokens: query.q ? queryTokens(query.q) : [],
    category: query.category,
    minPrice: query.minPrice,
    maxPrice: query.maxPrice,
    inStock: query.inStock,
    sort: query.sort,
    after,
    limit: query.limit + 1,
  });
  const items = found.slice(0, query.limit);
  const last = items.at(-1);
  const nextCursor =
    found.length > query.limit && last
      ? encodeProductCursor({ sort: query.sort, value: cursorValue(last, query.sort), id: last.id })
      : null;
  return { items, nextCursor };
}

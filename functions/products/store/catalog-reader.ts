import type { Collection } from 'mongodb';
import { mongoUnavailable } from '../../../shared/db/mongo-client.ts';
import type { EventEnvelope } from '../../../shared/events/envelope.ts';
import type { CatalogReader, SearchCriteria } from '../domain/ports.ts';
import type { Product } from '../domain/product.ts';

/** The catalog's collection in the products database, for the reader and for the mongoose model in catalog-mongo.ts. */
export const PRODUCTS_COLLECTION = 'products';

/** The stored shape: the product plus its search tokens, sort keys and the events not yet published. */
export interface ProductDocument {
  _id: string;
  name: string;
  nameKey: string;
  description: string;
  category: string;
  tags: string[];
  price: number;
  currency: string;
  searchTokens: string[];
  available: number;
  inStock: boolean;
  stockVersion: number;
  deleted: boolean;
  deletedAt: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
  outbox: EventEnvelope[];
}

/** A read leaves out what only the store needs: the events waiting to be published and the search tokens. */
const readProjection = { outbox: 0, searchTokens: 0 } as const;

function toProduct(d: Omit<ProductDocument, 'outbox' | 'searchTokens'>): Product {
  return {
    id: d._id,
    name: d.name,
    description: d.description,
    category: d.category,
    tags: d.tags,
    price: { amount: d.price, currency: d.currency },
    available: d.available,
    inStock: d.inStock,
    deleted: d.deleted,
    deletedAt: d.deletedAt,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    version: d.version,
  };
}

const sortSpecs = {
  newest: { field: 'createdAt', direction: -1 },
  price_asc: { field: 'price', direction: 1 },
  price_desc: { field: 'price', direction: -1 },
  name: { field: 'nameKey', direction: 1 },
} as const;

/**
 * The filter and sort a search runs, exported so the bench can explain exactly what the service sends. One flat
 * document of equalities and one range (the shape every engine's planner reads best: equality, sort, range on a
 * compound index). The longest search word (the most selective) is an equality on the multikey token array, which
 * FerretDB's PostgreSQL backend pushes down (`$all` it does not); the other words and a cursor's `$or` go in `$and`,
 * which is what `$all` means anyway.
 */
export function searchPlan(c: SearchCriteria): { filter: Record<string, unknown>; sort: Record<string, 1 | -1> } {
  const filter: Record<string, unknown> = { deleted: false };
  const and: Record<string, unknown>[] = [];
  const [longest, ...others] = [...c.tokens].sort((a, b) => b.length - a.length);
  if (longest) filter.searchTokens = longest;
  if (others.length) and.push({ searchTokens: { $all: others } });
  if (c.category) filter.category = c.category;
  if (c.minPrice !== undefined || c.maxPrice !== undefined)
    filter.price = {
      ...(c.minPrice !== undefined ? { $gte: c.minPrice } : {}),
      ...(c.maxPrice !== undefined ? { $lte: c.maxPrice } : {}),
    };
  if (c.inStock !== undefined) filter.inStock = c.inStock;
  const { field, direction } = sortSpecs[c.sort];
  if (c.after) {
    const op = direction === 1 ? '$gt' : '$lt';
    and.push({ $or: [{ [field]: { [op]: c.after.value } }, { [field]: c.after.value, _id: { [op]: c.after.id } }] });
  }
  if (and.length) filter.$and = and;
  return { filter, sort: { [field]: direction, _id: direction } };
}

/**
 * The catalog's two reads over a bare driver collection, with no mongoose: the public read routes use it directly
 * (read-composition.ts) and MongoCatalogStore delegates its reads to it, so both answer alike.
 */
export class MongoCatalogReader implements CatalogReader {
  constructor(private readonly collection: Collection<ProductDocument>) {}

  async findById(id: string): Promise<Product | null> {
    const doc = await this.collection.findOne({ _id: id }, { projection: readProjection }).catch(mongoUnavailable);
    return doc ? toProduct(doc) : null;
  }

  async search(criteria: SearchCriteria): Promise<Product[]> {
    const { filter, sort } = searchPlan(criteria);
    // The one read that may lag: a public listing never precedes a write, and replicas are there to carry it.
    const docs = await this.collection
      .find(filter, { projection: readProjection, sort, limit: criteria.limit, readPreference: 'secondaryPreferred' })
      .toArray()
      .catch(mongoUnavailable);
    return docs.map(toProduct);
  }
}

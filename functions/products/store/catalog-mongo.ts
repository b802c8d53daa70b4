import mongoose, { type Connection, type Model } from 'mongoose';
import { mongoUnavailable } from '../../../shared/db/mongo.ts';
import type { EventEnvelope } from '../../../shared/events/envelope.ts';
import type { CatalogStore, PendingEvents, SearchCriteria } from '../domain/ports.ts';
import type { Product } from '../domain/product.ts';
import { nameKey, searchTokens } from '../domain/search-tokens.ts';

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

const schema = new mongoose.Schema(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    nameKey: { type: String, required: true },
    description: { type: String, default: '' },
    category: { type: String, required: true },
    tags: { type: [String], default: [] },
    price: { type: Number, required: true },
    currency: { type: String, required: true },
    searchTokens: { type: [String], default: [] },
    available: { type: Number, default: 0 },
    inStock: { type: Boolean, default: false },
    stockVersion: { type: Number, default: 0 },
    deleted: { type: Boolean, default: false },
    deletedAt: { type: String, default: null },
    createdAt: { type: String, required: true },
    updatedAt: { type: String, required: true },
    version: { type: Number, required: true },
    outbox: { type: [mongoose.Schema.Types.Mixed], default: [] },
  },
  { collection: 'products', versionKey: false, strict: 'throw', minimize: false },
);
// Every listing filters on `deleted: false` and sorts by one key plus _id; each sort has its index (DocumentDB uses
// them; FerretDB's SQLite backend scans, see bench/README.md). Tokens are a multikey index for `$all`.
schema.index({ deleted: 1, createdAt: -1, _id: -1 });
schema.index({ deleted: 1, price: 1, _id: 1 });
schema.index({ deleted: 1, nameKey: 1, _id: 1 });
schema.index({ deleted: 1, category: 1, price: 1, _id: 1 });
schema.index({ searchTokens: 1 });
schema.index({ 'outbox.id': 1 }, { sparse: true });

function toDocument(p: Product): Omit<ProductDocument, 'outbox' | 'stockVersion'> {
  return {
    _id: p.id,
    name: p.name,
    nameKey: nameKey(p.name),
    description: p.description,
    category: p.category,
    tags: p.tags,
    price: p.price.amount,
    currency: p.price.currency,
    searchTokens: searchTokens(p),
    available: p.available,
    inStock: p.inStock,
    deleted: p.deleted,
    deletedAt: p.deletedAt,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
    version: p.version,
  };
}

function toProduct(d: ProductDocument): Product {
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

const listProjection = { outbox: 0, searchTokens: 0 } as const;

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

export class MongoCatalogStore implements CatalogStore {
  private readonly model: Model<ProductDocument>;

  constructor(connection: Connection) {
    this.model = (connection.models.Product ?? connection.model('Product', schema)) as unknown as Model<ProductDocument>;
  }

  /** Builds the indexes (idempotent); called once per container. */
  async init(): Promise<void> {
    await this.model.init();
  }

  async insert(product: Product, events: EventEnvelope[]): Promise<void> {
    await this.model.collection.insertOne({ ...toDocument(product), stockVersion: 0, outbox: events } as never);
  }

  /**
   * Initial data load: inserts the products whose id is not stored yet, in one round trip, each with the stock version
   * of the level the seed wrote for it (as insert then syncAvailability would). Returns the ids it inserted.
   */
  async seedMany(entries: Array<{ product: Product; stockVersion: number }>): Promise<Set<string>> {
    const ids = entries.map((e) => e.product.id);
    const stored = await this.model.collection.find({ _id: { $in: ids } } as never, { projection: { _id: 1 } }).toArray();
    const existing = new Set(stored.map((d) => String(d._id)));
    const missing = entries.filter((e) => !existing.has(e.product.id));
    if (missing.length)
      await this.model.collection.insertMany(
        missing.map((e) => ({ ...toDocument(e.product), stockVersion: e.stockVersion, outbox: [] })) as never[],
        { ordered: false },
      );
    return new Set(missing.map((e) => e.product.id));
  }

  async findById(id: string): Promise<Product | null> {
    const doc = await this.model.collection.findOne({ _id: id } as never, { projection: listProjection }).catch(mongoUnavailable);
    return doc ? toProduct(doc as unknown as ProductDocument) : null;
  }

  async replace(product: Product, expectedVersion: number, events: EventEnvelope[]): Promise<boolean> {
    const { _id, available, inStock, ...fields } = toDocument(product);
    const result = await this.model.collection.updateOne(
      { _id, version: expectedVersion } as never,
      {
        $set: fields,
        $push: { outbox: { $each: events } },
      } as never,
    );
    return result.modifiedCount === 1;
  }

  async search(criteria: SearchCriteria): Promise<Product[]> {
    const { filter, sort } = searchPlan(criteria);
    // The one read that may lag: a public listing never precedes a write, and replicas are there to carry it.
    const docs = await this.model.collection
      .find(filter, { projection: listProjection, sort, limit: criteria.limit, readPreference: 'secondaryPreferred' })
      .toArray();
    return docs.map((d) => toProduct(d as unknown as ProductDocument));
  }

  async syncAvailability(productId: string, available: number, stockVersion: number): Promise<void> {
    await this.model.collection.updateOne({ _id: productId, stockVersion: { $lt: stockVersion } } as never, {
      $set: { available, inStock: available > 0, stockVersion },
    });
  }

  async pending(limit: number, key?: string): Promise<PendingEvents[]> {
    const docs = await this.model.collection
      .find({ ...(key ? { _id: key } : {}), 'outbox.id': { $exists: true } } as never, { projection: { outbox: 1 }, limit })
      .toArray();
    return docs.map((d) => ({ key: String(d._id), events: (d.outbox ?? []) as EventEnvelope[] }));
  }

  async acknowledge(key: string, events: EventEnvelope[]): Promise<void> {
    // One `$pull` of the whole stored event each: FerretDB 1.24 pulls by equality only (no `$in`, no conditions).
    for (const event of events)
      await this.model.collection.updateOne({ _id: key } as never, { $pull: { outbox: event } } as never);
  }

  /** For tests and the seed: removes every product. */
  async clear(): Promise<void> {
    await this.model.collection.deleteMany({});
  }
}

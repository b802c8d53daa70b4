import type { Collection } from 'mongodb';
import mongoose, { type Connection, type Model } from 'mongoose';
import type { EventEnvelope } from '../../../shared/events/envelope.ts';
import type { CatalogStore, PendingEvents, SearchCriteria } from '../domain/ports.ts';
import type { Product } from '../domain/product.ts';
import { nameKey, searchTokens } from '../domain/search-tokens.ts';
import { MongoCatalogReader, PRODUCTS_COLLECTION, type ProductDocument } from './catalog-reader.ts';

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
  { collection: PRODUCTS_COLLECTION, versionKey: false, strict: 'throw', minimize: false },
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

export class MongoCatalogStore implements CatalogStore {
  private readonly model: Model<ProductDocument>;
  /** The reads, shared with the public read routes' mongoose-free path (read-composition.ts). */
  private readonly reader: MongoCatalogReader;

  constructor(connection: Connection) {
    this.model = (connection.models.Product ?? connection.model('Product', schema)) as unknown as Model<ProductDocument>;
    this.reader = new MongoCatalogReader(this.model.collection as unknown as Collection<ProductDocument>);
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

  findById(id: string): Promise<Product | null> {
    return this.reader.findById(id);
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

  search(criteria: SearchCriteria): Promise<Product[]> {
    return this.reader.search(criteria);
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

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import { cachedOnce } from '../../shared/cache.ts';
import { config, serviceConfig } from '../../shared/config.ts';
import { mongoFor } from '../../shared/db/mongo.ts';
import '../../shared/events/products.ts';
import { EventBridgePublisher, type EventPublisher } from '../../shared/events/publisher.ts';
import { logger } from '../../shared/observability.ts';
import type { CatalogDeps } from './domain/catalog.ts';
import { checkStockSignals, type InventoryDeps } from './domain/inventory.ts';
import { type Clock, type PendingEvents, systemClock } from './domain/ports.ts';
import { type RelayReport, relayOutbox } from './domain/relay.ts';
import { MongoCatalogStore } from './store/catalog-mongo.ts';
import { DynamoStockStore } from './store/stock-dynamo.ts';

const ProductsEnv = z.object({
  PRODUCTS_HOLD_MINUTES: z.coerce.number().int().positive().default(15),
  PRODUCTS_KEEP_CLOSED_DAYS: z.coerce.number().int().positive().default(30),
  /**
   * The relay's full pass over the catalog outbox runs at most this often per container. Each catalog write publishes
   * its own events right away (the fast path); the full pass only catches a fast path that failed. On DocumentDB it
   * reads a sparse index, but FerretDB 1.24 scans every product for it (75-90 ms over the 300 demo products), and
   * offline the relay is woken after every stock write, so unthrottled it kept FerretDB busy under load.
   */
  PRODUCTS_CATALOG_SWEEP_SECONDS: z.coerce.number().int().nonnegative().default(10),
});

/** Stock outbox records a write's fast path publishes at most; the scheduled relay takes up to 100 per pass. */
const FAST_PATH_RECORDS = 10;

export interface ProductsService {
  catalog: CatalogDeps;
  inventory: InventoryDeps;
  /** Publishes everything both outboxes hold (the schedule's job; also the per-write fast path). */
  relay(publisher?: EventPublisher): Promise<{ published: number; failed: number }>;
  catalogStore: MongoCatalogStore;
  stockStore: DynamoStockStore;
}

/** The products service wired to its stores, built once per container (per Lambda instance) and reused. */
export async function buildProductsService(
  options: { publisher?: EventPublisher; clock?: Clock } = {},
): Promise<ProductsService> {
  const cfg = config();
  const settings = serviceConfig(ProductsEnv);
  const table = cfg.tables.stock;
  if (!table) throw new Error('TABLE_STOCK is not set');
  const catalogStore = new MongoCatalogStore(await mongoFor('products'));
  await catalogStore.init();
  const dynamo = new DynamoDBClient({
    endpoint: cfg.DYNAMODB_ENDPOINT,
    maxAttempts: 3,
    requestHandler: { requestTimeout: 3_000, connectionTimeout: 1_000 },
  });
  const stockStore = new DynamoStockStore(dynamo, table);
  const clock = options.clock ?? systemClock;
  const defaultPublisher = options.publisher ?? new EventBridgePublisher();

  let lastCatalogSweep = Number.NEGATIVE_INFINITY;
  const skipped: RelayReport = { published: 0, failed: 0, records: 0 };
  const relay = async (publisher: EventPublisher = defaultPublisher) => {
    const fromStock = await relayOutbox(stockStore, publisher, { beforeAcknowledge: signals });
    // Signals raised just now sit in the stock outbox; one more pass sends them without waiting for the next run.
    // A first pass that took no record raised none (4 outbox queries saved on every idle or caught-up run).
    const raised = fromStock.records ? await relayOutbox(stockStore, publisher, { beforeAcknowledge: signals }) : skipped;
    const now = clock.now().getTime();
    // A clock that went back (a test's, or a corrected system clock) sweeps rather than waiting.
    const sweep = now < lastCatalogSweep || now - lastCatalogSweep >= settings.PRODUCTS_CATALOG_SWEEP_SECONDS * 1000;
    const fromCatalog = sweep ? await relayOutbox(catalogStore, publisher) : skipped;
    // A pass that found nothing waits out the interval; one that found events sweeps again on the next run.
    if (sweep) lastCatalogSweep = fromCatalog.published || fromCatalog.failed ? Number.NEGATIVE_INFINITY : now;
    return {
      published: fromStock.published + raised.published + fromCatalog.published,
      failed: fromStock.failed + raised.failed + fromCatalog.failed,
    };
  };
  const signals = (record: PendingEvents) =>
    checkStockSignals({ stock: stockStore, catalog: catalogStore }, record.productIds ?? []);
  const bestEffort = async (run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (error) {
      logger.warn('outbox fast path failed; the scheduled relay will publish', { error: error as Error });
    }
  };
  // Fast paths: a catalog write publishes its own product's events; a stock write drains the (small) stock outbox twice,
  // the second pass sending the low/depleted signals the first one raised.
  const flushProduct = (productId: string) => bestEffort(() => relayOutbox(catalogStore, defaultPublisher, { key: productId }));
  // Low/depleted are decided right after the write that caused them (the relay checks again as a backstop), so a
  // backlog cannot hide a crossing; the outbox pass is bounded, so a request never pays for a backlog either.
  const flushStock = (productIds: string[]) =>
    bestEffort(async () => {
      await checkStockSignals({ stock: stockStore, catalog: catalogStore }, productIds);
      await relayOutbox(stockStore, defaultPublisher, { beforeAcknowledge: signals, limit: FAST_PATH_RECORDS });
    });
  return {
    catalog: { catalog: catalogStore, clock, flush: flushProduct },
    inventory: {
      stock: stockStore,
      catalog: catalogStore,
      clock,
      holdMinutes: settings.PRODUCTS_HOLD_MINUTES,
      keepClosedDays: settings.PRODUCTS_KEEP_CLOSED_DAYS,
      flush: flushStock,
    },
    relay,
    catalogStore,
    stockStore,
  };
}

/** The products service wired to its stores, built once per container (per Lambda instance) and reused. */
export const productsService = cachedOnce(() => buildProductsService());

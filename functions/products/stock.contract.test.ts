import { Agent } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeAll, inject } from 'vitest';
import { ensureTables, localTableName } from '../../infra/offline/engines/dynalite.ts';
import type { EventEnvelope } from '../../shared/events/envelope.ts';
import { newId } from '../../shared/ids.ts';
import { changeInventory, checkStockSignals, type InventoryDeps } from './domain/inventory.ts';
import type { CatalogStore } from './domain/ports.ts';
import { NewProduct, newProduct, type Product } from './domain/product.ts';
import { relayOutbox } from './domain/relay.ts';
import service from './service.ts';
import { type StockHarness, stockReservationCases, TestClock } from './stock-cases.ts';
import { DynamoStockStore } from './store/stock-dynamo.ts';

// moto_server's DynamoDB is an independent TransactWriteItems: a second opinion on our transaction layer in front of dynalite.
const client = new DynamoDBClient({
  endpoint: inject('motoUrl'),
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  // moto serves requests on threads without isolation: a cancelled transaction restores a copy of the whole table taken
  // when it started, erasing what concurrent requests wrote meanwhile. One request at a time makes each one atomic, as
  // DynamoDB's are; the orders' requests still interleave, transaction by transaction.
  requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: 1 }) },
});

/** The catalog is not under test here (it lives in DocumentDB); the stock side only reads a product and mirrors availability. */
class CatalogMirror implements Pick<CatalogStore, 'findById' | 'syncAvailability'> {
  private readonly products = new Map<string, Product & { stockVersion: number }>();
  add(id: string): void {
    const product = newProduct(
      id,
      NewProduct.parse({ name: 'Widget', category: 'stock-test', price: { amount: 500, currency: 'USD' } }),
      new Date().toISOString(),
    );
    this.products.set(id, { ...product, stockVersion: 0 });
  }
  async findById(id: string): Promise<Product | null> {
    return this.products.get(id) ?? null;
  }
  async syncAvailability(productId: string, available: number, stockVersion: number): Promise<void> {
    const p = this.products.get(productId);
    if (p && p.stockVersion < stockVersion) Object.assign(p, { available, inStock: available > 0, stockVersion });
  }
}

let harness: StockHarness;

beforeAll(async () => {
  // The table the runtime creates from the manifest's TableSpec, by the same code.
  const tables = service.stores.tables ?? [];
  await ensureTables(client, tables);
  const stock = new DynamoStockStore(client, localTableName('stock'));
  const catalog = new CatalogMirror();
  const clock = new TestClock();
  const published: EventEnvelope[] = [];
  const publisher = { publish: async (events: EventEnvelope[]) => void published.push(...events) };
  const signals = (productIds: string[]) => checkStockSignals({ stock, catalog }, productIds);
  const inventory: InventoryDeps & { stock: DynamoStockStore } = {
    stock,
    catalog,
    clock,
    holdMinutes: 15,
    keepClosedDays: 30,
    flush: signals,
  };
  harness = {
    inventory,
    clock,
    async productWithStock(onHand, lowStockThreshold = 2) {
      const id = newId('prd');
      catalog.add(id);
      if (onHand > 0) await changeInventory(inventory, id, { set: onHand, reason: 'initial', lowStockThreshold }, 'test');
      return id;
    },
    async relay() {
      for (let pass = 0; pass < 2; pass++)
        await relayOutbox(stock, publisher, { beforeAcknowledge: (r) => signals(r.productIds ?? []) });
    },
    events: () => published,
  };
});

stockReservationCases(() => harness);

import mongoose from 'mongoose';
import { cachedBy } from '../cache.ts';
import { closeMongoClients, mongoClientOptions, mongoDatabaseName, mongoUri } from './mongo-client.ts';

const connections = cachedBy(async (service: string) =>
  mongoose
    .createConnection(await mongoUri(service), {
      ...mongoClientOptions,
      dbName: mongoDatabaseName(service),
      autoIndex: true,
    })
    .asPromise(),
);

/**
 * One mongoose connection per service database per container, created on first use and reused.
 * Each service owns its own database (`shop_products`, `shop_notifications`) on the shared cluster.
 */
export function mongoFor(service: string): Promise<mongoose.Connection> {
  return connections.get(service);
}

/** Closes every connection: mongoose's and the bare driver's (mongo-client.ts). */
export async function closeMongo(): Promise<void> {
  await Promise.all([...connections.drain().map(async (c) => (await c)?.close()), closeMongoClients()]);
}

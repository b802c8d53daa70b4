import mongoose from 'mongoose';
import { config } from '../config.ts';

const connections = new Map<string, Promise<mongoose.Connection>>();

/**
 * One mongoose connection per service database per container, created on first use and reused.
 * Each service owns its own database (`shop_products`, `shop_notifications`) on the shared cluster.
 */
export function mongoFor(service: string): Promise<mongoose.Connection> {
  let conn = connections.get(service);
  if (!conn) {
    const uri = config().MONGODB_URI;
    if (!uri) throw new Error('No MongoDB-compatible store configured: set MONGODB_URI');
    conn = mongoose
      .createConnection(uri, {
        dbName: `shop_${service}`,
        maxPoolSize: 5,
        serverSelectionTimeoutMS: 5_000,
        socketTimeoutMS: 15_000,
        // DocumentDB has no retryable writes.
        retryWrites: false,
        autoIndex: true,
      })
      .asPromise();
    connections.set(service, conn);
    conn.catch(() => connections.delete(service));
  }
  return conn;
}

export async function closeMongo(): Promise<void> {
  const all = [...connections.values()];
  connections.clear();
  await Promise.all(all.map(async (c) => (await c.catch(() => undefined))?.close()));
}

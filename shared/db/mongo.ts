import mongoose from 'mongoose';
import { cachedBy } from '../cache.ts';
import { config } from '../config.ts';
import { DependencyFailed } from '../errors.ts';
import { readDatabaseSecret } from './secrets.ts';

async function mongoUri(): Promise<string> {
  const cfg = config();
  if (cfg.MONGODB_URI) return cfg.MONGODB_URI;
  if (cfg.MONGODB_SECRET_ARN) {
    const s = await readDatabaseSecret(cfg.MONGODB_SECRET_ARN);
    const u = encodeURIComponent;
    // DocumentDB: TLS with the Amazon RDS CA (Lambda loads it via NODE_EXTRA_CA_CERTS), no retryable writes. Reads go to the
    // primary (the driver's default): a lagging replica would fail version checks and existence checks right after a write.
    return `mongodb://${u(s.username)}:${u(s.password)}@${s.host}:${s.port}/?tls=true&replicaSet=rs0`;
  }
  throw new Error('No MongoDB-compatible store configured: set MONGODB_URI');
}

const connections = cachedBy(async (service: string) =>
  mongoose
    .createConnection(await mongoUri(), {
      dbName: `shop_${service}`,
      maxPoolSize: 5,
      serverSelectionTimeoutMS: 5_000,
      socketTimeoutMS: 15_000,
      // DocumentDB has no retryable writes.
      retryWrites: false,
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

export async function closeMongo(): Promise<void> {
  await Promise.all(connections.drain().map(async (c) => (await c)?.close()));
}

/** For a store's `.catch`: the database failed or timed out, which the API answers with a retryable 503. */
export function mongoUnavailable(error: unknown): never {
  throw new DependencyFailed('Database unavailable', { cause: (error as Error).message });
}

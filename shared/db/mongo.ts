import mongoose from 'mongoose';
import { cachedBy } from '../cache.ts';
import { config } from '../config.ts';
import { DependencyFailed } from '../errors.ts';
import { readDatabaseSecret } from './secrets.ts';

/** Each service logs in as its own user (MONGODB_URI_<SERVICE> / MONGODB_SECRET_ARN_<SERVICE>), else the shared settings. */
async function mongoUri(service: string): Promise<string> {
  const cfg = config();
  const uri = cfg.mongoUris[service] ?? cfg.MONGODB_URI;
  if (uri) return uri;
  const secretArn = cfg.mongoSecretArns[service] ?? cfg.MONGODB_SECRET_ARN;
  if (secretArn) {
    const s = await readDatabaseSecret(secretArn);
    const u = encodeURIComponent;
    // DocumentDB: TLS with the Amazon RDS CA (Lambda loads it via NODE_EXTRA_CA_CERTS), no retryable writes, users in
    // `admin`. Reads go to the primary (the driver's default): a lagging replica would fail version checks and
    // existence checks right after a write.
    return `mongodb://${u(s.username)}:${u(s.password)}@${s.host}:${s.port}/?tls=true&replicaSet=rs0&authSource=admin`;
  }
  throw new Error(`No MongoDB-compatible store configured for ${service}: set MONGODB_URI`);
}

const connections = cachedBy(async (service: string) =>
  mongoose
    .createConnection(await mongoUri(service), {
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

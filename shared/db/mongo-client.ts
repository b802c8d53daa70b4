import { type Db, MongoClient, type MongoClientOptions } from 'mongodb';
import { cachedBy } from '../cache.ts';
import { config } from '../config.ts';
import { DependencyFailed } from '../errors.ts';
import { readDatabaseSecret } from './secrets.ts';

/** Each service logs in as its own user (MONGODB_URI_<SERVICE> / MONGODB_SECRET_ARN_<SERVICE>), else the shared settings. */
export async function mongoUri(service: string): Promise<string> {
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

/** Pool and timeouts of every connection to a service database: mongoose's (mongo.ts) and the bare driver's alike. */
export const mongoClientOptions = {
  maxPoolSize: 5,
  serverSelectionTimeoutMS: 5_000,
  socketTimeoutMS: 15_000,
  // DocumentDB has no retryable writes.
  retryWrites: false,
} satisfies MongoClientOptions;

/** Each service owns its own database (`shop_products`, `shop_notifications`) on the shared cluster. */
export const mongoDatabaseName = (service: string): string => `shop_${service}`;

const clients = cachedBy(async (service: string) => {
  const client = new MongoClient(await mongoUri(service), mongoClientOptions);
  // A client that never connected still holds its monitors; closed so the next call's retry starts clean.
  return client.connect().catch(async (error: unknown) => {
    await client.close().catch(() => undefined);
    throw error;
  });
});

/**
 * A service's database through the MongoDB driver alone, one client per service per container: for the read paths
 * whose cold start matters, which must not load mongoose (about 500 KB of bundle; see bench/README.md, "Cold start").
 */
export async function mongoDatabase(service: string): Promise<Db> {
  return (await clients.get(service)).db(mongoDatabaseName(service));
}

export async function closeMongoClients(): Promise<void> {
  await Promise.all(clients.drain().map(async (c) => (await c)?.close()));
}

/** For a store's `.catch`: the database failed or timed out, which the API answers with a retryable 503. */
export function mongoUnavailable(error: unknown): never {
  throw new DependencyFailed('Database unavailable', { cause: (error as Error).message });
}

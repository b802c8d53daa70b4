import mongoose from 'mongoose';
import { config } from '../config.ts';
import { readDatabaseSecret } from './secrets.ts';

const connections = new Map<string, Promise<mongoose.Connection>>();

/**
 * One mongoose connection per service database per container, created on first use and reused.
 * Each service owns its own database (`shop_products`, `shop_notifications`) on the shared cluster.
 */
async function mongoUri(): Promise<string> {
  const cfg = config();
  if (cfg.MONGODB_URI) return cfg.MONGODB_URI;
  if (cfg.MONGODB_SECRET_ARN) {
    const s = await readDatabaseSecret(cfg.MONGODB_SECRET_ARN);
    const u = encodeURIComponent;
    // DocumentDB: TLS with the Amazon RDS CA (Lambda loads it via NODE_EXTRA_CA_CERTS), no retryable writes.
    return `mongodb://${u(s.username)}:${u(s.password)}@${s.host}:${s.port}/?tls=true&replicaSet=rs0&readPreference=secondaryPreferred`;
  }
  throw new Error('No MongoDB-compatible store configured: set MONGODB_URI');
}

export function mongoFor(service: string): Promise<mongoose.Connection> {
  let conn = connections.get(service);
  if (!conn) {
    conn = mongoUri().then((uri) =>
      mongoose
        .createConnection(uri, {
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

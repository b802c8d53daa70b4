import mongoose from 'mongoose';
import * as z from 'zod';
import { config, serviceConfig } from '../config.ts';
import { logger } from '../observability.ts';
import { monitorMongoLogin, provisionMongoUsers, serviceMongoLogin } from './mongo-users.ts';
import { readDatabaseSecret } from './secrets.ts';

const MongoUsersEnv = z.object({
  /** The cluster's master secret: only this trigger can read it. */
  MONGODB_MASTER_SECRET_ARN: z.string(),
  MONGODB_MONITOR_SECRET_ARN: z.string().optional(),
});

/**
 * A CDK Trigger in AWS: gives every Mongo-owning service its own DocumentDB user (from its secret,
 * MONGODB_SECRET_ARN_<SERVICE>) before the service's functions are updated, and the health check its monitor user.
 */
export async function handler(): Promise<{ users: string[] }> {
  const env = serviceConfig(MongoUsersEnv);
  const master = await readDatabaseSecret(env.MONGODB_MASTER_SECRET_ARN);
  const logins = await Promise.all(
    Object.entries(config().mongoSecretArns).map(async ([service, arn]) =>
      serviceMongoLogin(service, (await readDatabaseSecret(arn)).password),
    ),
  );
  if (env.MONGODB_MONITOR_SECRET_ARN) {
    const monitor = await readDatabaseSecret(env.MONGODB_MONITOR_SECRET_ARN);
    logins.push(monitorMongoLogin(monitor.username, monitor.password));
  }
  const u = encodeURIComponent;
  const connection = await mongoose
    .createConnection(
      `mongodb://${u(master.username)}:${u(master.password)}@${master.host}:${master.port}/?tls=true&replicaSet=rs0&authSource=admin`,
      { serverSelectionTimeoutMS: 10_000, retryWrites: false },
    )
    .asPromise();
  try {
    const admin = connection.db!.admin();
    const users = await provisionMongoUsers((command) => admin.command(command), logins);
    logger.info('documentdb users provisioned', { users });
    return { users };
  } finally {
    await connection.close();
  }
}

import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { config } from '../../../shared/config.ts';
import { mongoDatabase } from '../../../shared/db/mongo-client.ts';
import { poolFor } from '../../../shared/db/postgres.ts';
import { mongoServices, postgresServices } from '../../catalog.ts';
import type { Probe } from '../domain/health.ts';

let dynamo: DynamoDBClient | undefined;

/** One probe per store the catalog says exists: each Postgres database, each Mongo database, each DynamoDB table. */
export function storeProbes(): Probe[] {
  const cfg = config();
  const probes: Probe[] = [];
  for (const service of postgresServices()) {
    probes.push({
      name: `postgres:${service}`,
      check: async () => {
        const pool = await poolFor(service);
        const { rows } = await pool.query<{ v: string }>("SELECT current_setting('server_version') AS v");
        return `PostgreSQL ${rows[0]?.v}`;
      },
    });
  }
  for (const service of mongoServices()) {
    probes.push({
      name: `mongo:${service}`,
      check: async () => {
        // The bare driver, as the public reads use: a health check need not load mongoose (~500 KB of bundle).
        const ping = await (await mongoDatabase(service)).command({ ping: 1 });
        return ping?.ok === 1 ? 'ping ok' : `ping ${JSON.stringify(ping)}`;
      },
    });
  }
  // DescribeTable per table, not ListTables: it can be granted on the tables alone (ListTables needs `*`).
  for (const [name, tableName] of Object.entries(cfg.tables)) {
    probes.push({
      name: `dynamodb:${name}`,
      check: async () => {
        dynamo ??= new DynamoDBClient({ endpoint: cfg.DYNAMODB_ENDPOINT, maxAttempts: 1 });
        const out = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
        return `table ${out.Table?.TableStatus ?? 'unknown'}`;
      },
    });
  }
  return probes;
}

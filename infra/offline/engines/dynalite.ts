import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import type { TableSpec } from '../../../shared/service.ts';
import { addTransactions } from './dynalite-transactions.ts';
import type { Engine, EngineHealth } from './types.ts';

export interface DynaliteOptions {
  /** Directory for LevelDB files; in memory when unset (tests). */
  dataDir?: string;
  port: number;
  /** DYNAMODB_ENDPOINT of an existing DynamoDB-compatible endpoint; skips dynalite. */
  externalEndpoint?: string;
  tables: TableSpec[];
}

/** Physical table name for a logical one, the same rule CDK uses offline: `shop-<name>`. */
export const localTableName = (name: string) => `shop-${name}`;

export async function ensureTables(client: DynamoDBClient, tables: TableSpec[]): Promise<void> {
  const existing = new Set((await client.send(new ListTablesCommand({}))).TableNames ?? []);
  for (const t of tables) {
    const TableName = localTableName(t.name);
    if (existing.has(TableName)) continue;
    const keys = new Set(
      [t.partitionKey, t.sortKey, ...(t.indexes ?? []).flatMap((i) => [i.partitionKey, i.sortKey])].filter(Boolean) as string[],
    );
    await client.send(
      new CreateTableCommand({
        TableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...keys].map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
        KeySchema: [
          { AttributeName: t.partitionKey, KeyType: 'HASH' },
          ...(t.sortKey ? [{ AttributeName: t.sortKey, KeyType: 'RANGE' as const }] : []),
        ],
        GlobalSecondaryIndexes: t.indexes?.length
          ? t.indexes.map((i) => ({
              IndexName: i.name,
              KeySchema: [
                { AttributeName: i.partitionKey, KeyType: 'HASH' as const },
                ...(i.sortKey ? [{ AttributeName: i.sortKey, KeyType: 'RANGE' as const }] : []),
              ],
              Projection: { ProjectionType: 'ALL' as const },
            }))
          : undefined,
      }),
    );
    for (let i = 0; i < 50; i++) {
      const d = await client.send(new DescribeTableCommand({ TableName }));
      if (d.Table?.TableStatus === 'ACTIVE') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    if (t.ttlAttribute) {
      await client
        .send(
          new UpdateTimeToLiveCommand({ TableName, TimeToLiveSpecification: { AttributeName: t.ttlAttribute, Enabled: true } }),
        )
        .catch(() => {}); // dynalite does not implement TTL; expiry is enforced by the code that reads reservations.
    }
  }
}

/** dynalite (the DynamoDB API on LevelDB) runs inside this process; tables come from the service manifests. */
export async function startDynalite(options: DynaliteOptions): Promise<Engine> {
  let server: Server | undefined;
  let transactions: { close(): void } | undefined;
  const endpoint = options.externalEndpoint ?? `http://127.0.0.1:${options.port}`;
  if (!options.externalEndpoint) {
    if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
    server = dynalite({ path: options.dataDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }) as Server;
    const s = server;
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(options.port, '127.0.0.1', () => resolve());
    });
    transactions = addTransactions(s, endpoint);
  }
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const stop = async () => {
    client.destroy();
    transactions?.close();
    const s = server;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  try {
    await ensureTables(client, options.tables);
  } catch (error) {
    await stop();
    throw error;
  }
  const tableEnv = Object.fromEntries(options.tables.map((t) => [`TABLE_${t.name.toUpperCase()}`, localTableName(t.name)]));
  return {
    name: 'dynamodb',
    mode: server ? 'embedded' : 'external',
    env: () => ({ DYNAMODB_ENDPOINT: endpoint, ...tableEnv }),
    pids: () => [],
    async health(): Promise<EngineHealth> {
      try {
        const tables = (await client.send(new ListTablesCommand({}))).TableNames ?? [];
        return { name: 'dynamodb', mode: server ? 'embedded' : 'external', ok: true, detail: `${tables.length} tables` };
      } catch (error) {
        return { name: 'dynamodb', mode: server ? 'embedded' : 'external', ok: false, detail: (error as Error).message };
      }
    },
    stop,
  };
}

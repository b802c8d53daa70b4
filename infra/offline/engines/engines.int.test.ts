import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { startEngines } from './index.ts';
import { freePort } from './ports.ts';
import { startPostgres } from './postgres.ts';

function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1');
  });
}

describe('external engines', () => {
  it('uses DATABASE_URL_<SERVICE>, MONGODB_URI and DYNAMODB_ENDPOINT instead of starting its own', async () => {
    const env = inject('engineEnv');
    const external = await startEngines({
      dataDir: join(tmpdir(), `unused-${Date.now()}`),
      ports: 'free',
      postgresServices: ['scratch'],
      tables: [],
      persistDynamo: false,
      env: {
        DATABASE_URL_SCRATCH: env.DATABASE_URL_SCRATCH,
        MONGODB_URI: env.MONGODB_URI,
        DYNAMODB_ENDPOINT: env.DYNAMODB_ENDPOINT,
      },
    });
    try {
      expect(external.all.map((e) => e.mode)).toEqual(['external', 'external', 'external']);
      expect(external.pids()).toEqual([]);
      expect(external.env).toMatchObject({
        DATABASE_URL_SCRATCH: env.DATABASE_URL_SCRATCH,
        MONGODB_URI: env.MONGODB_URI,
        DYNAMODB_ENDPOINT: env.DYNAMODB_ENDPOINT,
      });
      expect((await external.health()).every((h) => h.ok)).toBe(true);
    } finally {
      await external.stop();
    }
  });
});

describe('embedded engines (started once by the integration global setup)', () => {
  const env = inject('engineEnv');

  it('gives each Postgres-owning service its own database and role, closed to the others', async () => {
    const urls = Object.entries(env).filter(([k]) => k.startsWith('DATABASE_URL_'));
    expect(urls.length).toBeGreaterThanOrEqual(1);
    for (const [, url] of urls) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const { rows } = await client.query('SELECT current_database() AS db, current_user AS role');
      expect(rows[0].db).toBe(rows[0].role);
      await client.end();
    }
    if (urls.length > 1) {
      const [first, second] = urls;
      const foreign = new URL(first![1]);
      foreign.pathname = new URL(second![1]).pathname;
      const client = new pg.Client({ connectionString: foreign.toString() });
      await expect(client.connect()).rejects.toThrow(/permission denied|not permitted/);
    }
  });

  it('speaks the MongoDB wire protocol (FerretDB) with unique indexes enforced', async () => {
    const conn = await mongoose.createConnection(env.MONGODB_URI!, { dbName: 'engines_test' }).asPromise();
    try {
      const coll = conn.collection(`things_${Date.now()}`);
      await coll.createIndex({ sku: 1 }, { unique: true });
      await coll.insertOne({ sku: 'a' });
      await expect(coll.insertOne({ sku: 'a' })).rejects.toThrow(/duplicate key/i);
      const build = await conn.db!.admin().command({ buildInfo: 1 });
      expect(build.ferretdb?.version ?? build.version).toBeTruthy();
    } finally {
      await conn.close();
    }
  });

  it('looks documents up by _id through the _id index, also when the filter names more fields, and still applies them', async () => {
    // scripts/ferretdb/sqlite-id-index.patch: upstream 1.24 scanned the table for every _id lookup.
    const conn = await mongoose.createConnection(env.MONGODB_URI!, { dbName: 'engines_test' }).asPromise();
    try {
      const coll = conn.collection<{ _id: string; v: number; n: number }>(`byid_${Date.now()}`);
      await coll.insertMany(Array.from({ length: 50 }, (_, i) => ({ _id: `k${i}`, v: 3, n: i })));
      // The rest of the filter still decides: an older version does not match, a newer one does.
      expect((await coll.updateOne({ _id: 'k7', v: { $lt: 3 } }, { $set: { v: 2 } })).matchedCount).toBe(0);
      expect((await coll.updateOne({ _id: 'k7', v: { $lt: 4 } }, { $set: { v: 4 } })).modifiedCount).toBe(1);
      expect(await coll.findOne({ _id: 'k7' })).toEqual({ _id: 'k7', v: 4, n: 7 });
      expect(await coll.findOne({ _id: 'k8', n: 9 })).toBeNull();
      expect((await coll.deleteOne({ _id: 'k9', n: 8 })).deletedCount).toBe(0);
      const build = await conn.db!.admin().command({ buildInfo: 1 });
      // FerretDB's plan (an external MongoDB explains differently; the semantics above hold for both).
      if (build.ferretdbVersion) {
        const explain = await conn.db!.command({ explain: { find: coll.collectionName, filter: { _id: 'k7', v: { $lt: 9 } } } });
        expect(explain.filterPushdown).toBe(true);
        expect(JSON.stringify(explain.queryPlanner)).toMatch(/USING INDEX \S+__id_/);
      }
    } finally {
      await conn.close();
    }
  });

  it('serves the DynamoDB API (dynalite) at DYNAMODB_ENDPOINT', async () => {
    const res = await fetch(env.DYNAMODB_ENDPOINT!, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.ListTables',
        authorization:
          'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x',
        'x-amz-date': '20260101T000000Z',
      },
      body: '{}',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toHaveProperty('TableNames');
  });
});

describe('an engine that fails after its server started', () => {
  it('stops the PostgreSQL it started when creating the service databases fails, before rejecting', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'pg-fail-'));
    const port = await freePort();
    try {
      // Not an SQL identifier: provisioning refuses it once the server is up.
      await expect(startPostgres({ dataDir, port, services: ['not-an-identifier'], external: {} })).rejects.toThrow(
        /not a lowercase SQL identifier/,
      );
      expect(await acceptsConnections(port)).toBe(false);
    } finally {
      const pidFile = join(dataDir, 'postmaster.pid');
      if (existsSync(pidFile)) process.kill(Number(readFileSync(pidFile, 'utf8').split('\n')[0]), 'SIGINT');
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('an engine whose port is taken', () => {
  it('fails the start with a message naming the PostgreSQL port, not a TypeError', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'pg-taken-'));
    const squatter = createServer();
    const port = await new Promise<number>((resolve) =>
      squatter.listen(0, '127.0.0.1', () => resolve((squatter.address() as { port: number }).port)),
    );
    try {
      await expect(
        startEngines({
          dataDir,
          ports: 'free',
          postgresServices: ['scratch'],
          tables: [],
          persistDynamo: false,
          env: { POSTGRES_PORT: String(port) },
        }),
      ).rejects.toThrow(`PostgreSQL exited before accepting connections on port ${port} (port in use? see \`lsof -i :${port}\``);
    } finally {
      await new Promise((r) => squatter.close(r));
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

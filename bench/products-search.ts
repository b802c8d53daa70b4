/**
 * Search latency over 10,000 generated products on FerretDB v1.24.2 (the offline engine), three typical queries,
 * with the plan each one gets. Starts its own FerretDB on a free loopback port in a temp dir; bounded loops.
 * Run: npx tsx bench/products-search.ts [products=10000] [iterations=20]
 */

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { searchProducts } from '../functions/products/domain/catalog.ts';
import { SearchQuery } from '../functions/products/domain/product.ts';
import { queryTokens } from '../functions/products/domain/search-tokens.ts';
import { MongoCatalogStore } from '../functions/products/store/catalog-mongo.ts';
import { searchPlan } from '../functions/products/store/catalog-reader.ts';
import { generateProduct } from '../functions/products/store/generate.ts';
import { startFerretDB } from '../infra/offline/engines/ferretdb.ts';
import { ferretdbBinary } from '../infra/offline/engines/index.ts';
import { freePort, waitForPort } from '../infra/offline/engines/ports.ts';
import { startPostgres } from '../infra/offline/engines/postgres.ts';
import { recordResults } from './lib/results.ts';

const total = Number(process.argv[2] ?? 10_000);
const iterations = Number(process.argv[3] ?? 20);
// BENCH_SEARCH_BACKEND=postgresql: the same FerretDB 1.24 on its PostgreSQL backend (the embedded PostgreSQL), for comparison.
const backend = process.env.BENCH_SEARCH_BACKEND ?? 'sqlite';
const dataDir = await mkdtemp(join(tmpdir(), 'shop-bench-'));
const port = await freePort();
let pgUrl: string | undefined;
async function startEngine() {
  if (backend === 'sqlite') return startFerretDB({ dataDir, port, binary: ferretdbBinary });
  const pgEngine = await startPostgres({
    dataDir: join(dataDir, 'pg'),
    port: await freePort(),
    services: ['ferret'],
    external: {},
  });
  pgUrl = pgEngine.env().DATABASE_URL_FERRET;
  const child = spawn(
    ferretdbBinary,
    [
      '--handler=postgresql',
      `--postgresql-url=${pgEngine.env().DATABASE_URL_FERRET}`,
      `--state-dir=${dataDir}`,
      `--listen-addr=127.0.0.1:${port}`,
      '--debug-addr=-',
      '--telemetry=disable',
      '--log-level=warn',
    ],
    { stdio: 'ignore' },
  );
  await waitForPort(port, 20_000, () => child.exitCode === null);
  return {
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      await pgEngine.stop();
    },
  };
}
const engine = await startEngine();
const connection = await mongoose
  .createConnection(`mongodb://127.0.0.1:${port}/`, { dbName: 'shop_products', maxPoolSize: 4 })
  .asPromise();
try {
  const store = new MongoCatalogStore(connection);
  await store.init();
  const started = performance.now();
  for (let n = 0; n < total; n += 500) {
    await store.seedMany(
      Array.from({ length: Math.min(500, total - n) }, (_, i) => {
        const { product, onHand } = generateProduct('bench', n + i);
        return { product: { ...product, available: onHand, inStock: onHand > 0 }, stockVersion: 1 };
      }),
    );
  }
  console.log(`inserted ${total} products in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (pgUrl && process.env.BENCH_SEARCH_GIN === '1') {
    // An experiment, not the product: GIN indexes on FerretDB's own table, which its pushed-down containment filters can use.
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    const { rows } = await client.query<{ t: string }>(
      "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'shop_products' AND table_name LIKE 'products_%'",
    );
    for (const field of ['searchTokens', 'category', 'inStock', 'deleted'])
      await client.query(`CREATE INDEX ON shop_products.${rows[0]!.t} USING gin ((_jsonb -> '${field}') jsonb_path_ops)`);
    await client.query(`ANALYZE shop_products.${rows[0]!.t}`);
    await client.end();
    console.log("GIN indexes on FerretDB's table: searchTokens, category, inStock, deleted");
  }

  const queries: Array<{ name: string; query: Record<string, string> }> = [
    { name: 'text "steel knife", newest first', query: { q: 'steel knife' } },
    {
      name: 'category electronics, $20-$100, price ascending',
      query: { category: 'electronics', minPrice: '2000', maxPrice: '10000', sort: 'price_asc' },
    },
    { name: 'in stock, by name, second page', query: { inStock: 'true', sort: 'name' } },
  ];
  const measured: Array<Record<string, unknown>> = [];
  for (const { name, query } of queries) {
    let parsed = SearchQuery.parse(query);
    if (name.includes('second page')) {
      const first = await searchProducts({ catalog: store }, parsed);
      parsed = SearchQuery.parse({ ...query, cursor: first.nextCursor! });
    }
    const latencies: number[] = [];
    let found = 0;
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) {
      const s = performance.now();
      found = (await searchProducts({ catalog: store }, parsed)).items.length;
      latencies.push(performance.now() - s);
    }
    const elapsed = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!.toFixed(1);
    const plan = searchPlan({
      tokens: parsed.q ? queryTokens(parsed.q) : [],
      category: parsed.category,
      minPrice: parsed.minPrice,
      maxPrice: parsed.maxPrice,
      inStock: parsed.inStock,
      sort: parsed.sort,
      limit: parsed.limit + 1,
    });
    const explain = await connection
      .db!.collection('products')
      .find(plan.filter)
      .sort(plan.sort)
      .limit(parsed.limit + 1)
      .explain();
    console.log(`\n## ${name}`);
    console.log(
      `results/page ${found}; median ${pct(0.5)} ms, p99 ${pct(0.99)} ms, ${(iterations / elapsed).toFixed(2)} queries/s (sequential, ${iterations} runs)`,
    );
    console.log(`filter ${JSON.stringify(plan.filter)} sort ${JSON.stringify(plan.sort)}`);
    const { queryPlanner, filterPushdown, sortPushdown, limitPushdown } = explain as Record<string, unknown>;
    console.log(`explain: ${JSON.stringify({ queryPlanner, filterPushdown, sortPushdown, limitPushdown })}`);
    measured.push({
      name,
      medianMs: Number(pct(0.5)),
      p99Ms: Number(pct(0.99)),
      filter: plan.filter,
      sort: plan.sort,
      explain: { queryPlanner, filterPushdown, sortPushdown, limitPushdown },
    });
  }
  recordResults(backend === 'sqlite' ? 'search' : `search-${backend}${process.env.BENCH_SEARCH_GIN === '1' ? '-gin' : ''}`, {
    products: total,
    iterations,
    backend,
    queries: measured,
  });
} finally {
  await connection.close();
  await engine.stop();
  await rm(dataDir, { recursive: true, force: true });
}

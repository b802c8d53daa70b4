// Cold start of every function in the catalog: bundle bytes (built with infra/bundling.ts, as CDK builds them) and
// import+init time, the median of BENCH_COLD_RUNS (default 15) fresh Node processes, beside an empty handler bundled
// and measured the same way in the same run; RSS after init and after 1,000 warm calls where a call needs no engine.
// Also: one function per service with the AWS SDK bundled instead of external, to choose between the two by measurement.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { services } from '../functions/catalog.ts';
import { AWS_SDK_MODULES, type CatalogFunction, catalogFunctions, esbuildOptions, functionBundling } from '../infra/bundling.ts';
import { median, recordResults, table } from './lib/results.ts';

const root = join(import.meta.dirname, '..');
// Inside the repo so that an external @aws-sdk/* resolves from node_modules, as Lambda resolves it from its runtime.
const out = join(import.meta.dirname, '.out', 'cold-start');
const runs = Number(process.env.BENCH_COLD_RUNS ?? 15);
const child = join(import.meta.dirname, 'lib', 'cold-start-child.mjs');
const BUDGET_RATIO = 2.5;
const BUDGET_KB = { plain: 350, mongoose: 1200 };

interface Bundle {
  fn: CatalogFunction;
  file: string;
  bytes: number;
  mongoose: boolean;
  /** Largest contributors to the minified output, by package. */
  top: Array<[string, number]>;
  sdkBundled?: { file: string; bytes: number };
}

function packageOf(input: string): string {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  return m ? m[1]! : 'app';
}

function contributors(meta: Metafile): Array<[string, number]> {
  const output = Object.values(meta.outputs).find((o) => o.entryPoint)!;
  const byPackage = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs))
    byPackage.set(packageOf(input), (byPackage.get(packageOf(input)) ?? 0) + bytesInOutput);
  return [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 4);
}

async function bundle(
  fn: CatalogFunction,
  dir: string,
  sdkBundled: boolean,
): Promise<{ file: string; bytes: number; meta: Metafile }> {
  const file = join(dir, 'index.mjs');
  const settings = sdkBundled
    ? { ...functionBundling, externalModules: functionBundling.externalModules.filter((m) => !AWS_SDK_MODULES.includes(m)) }
    : functionBundling;
  const result = await build({ ...esbuildOptions(join(root, fn.entry), file, settings), metafile: true });
  return { file, bytes: statSync(file).size, meta: result.metafile };
}

/** A Lambda-like environment: stores point at a closed port, so a call that needs an engine shows as a connection. */
function envFor(fn: CatalogFunction): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_OPTIONS: '--enable-source-maps',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    STAGE: 'bench',
    EVENT_BUS_NAME: 'shop-bench',
    POWERTOOLS_SERVICE_NAME: `shop-${fn.service}`,
    POWERTOOLS_METRICS_NAMESPACE: 'Shop',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    MONGODB_URI: 'mongodb://127.0.0.1:9/bench?serverSelectionTimeoutMS=500',
    DYNAMODB_ENDPOINT: 'http://127.0.0.1:9',
    EVENTBRIDGE_ENDPOINT: 'http://127.0.0.1:9',
    SFN_ENDPOINT: 'http://127.0.0.1:9',
    SQS_ENDPOINT: 'http://127.0.0.1:9',
    JWT_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench',
    MIGRATE_SERVICE: fn.service,
  };
  for (const s of services) {
    if (s.stores.postgres) env[`DATABASE_URL_${s.name.toUpperCase()}`] = 'postgres://bench:bench@127.0.0.1:9/bench';
    for (const t of s.stores.tables ?? []) env[`TABLE_${t.name.toUpperCase()}`] = `bench-${t.name}`;
  }
  return env;
}

/** The cheapest event of the function's kind: no principal, no body, no path parameters. */
function eventFor(fn: CatalogFunction): unknown {
  switch (fn.kind) {
    case 'route':
      return {
        httpMethod: fn.route!.method,
        resource: fn.route!.path,
        path: fn.route!.path,
        headers: {},
        multiValueHeaders: {},
        pathParameters: null,
        queryStringParameters: null,
        body: null,
        isBase64Encoded: false,
        requestContext: { requestId: 'bench', identity: { sourceIp: '127.0.0.1' } },
      };
    case 'authorizer':
      return { type: 'TOKEN', authorizationToken: '', methodArn: 'arn:aws:execute-api:us-east-1:0:api/bench/GET/health' };
    case 'subscription':
      return { Records: [{ messageId: 'bench', body: '{}', attributes: {}, messageAttributes: {} }] };
    default:
      return {};
  }
}

interface ChildResult {
  initMs: number;
  rssInitMb: number;
  firstCall?: unknown;
  warm?: string;
  rssWarmMb?: number;
}

function runChild(file: string, fn: CatalogFunction, mode: 'init' | 'warm'): ChildResult {
  const resultFile = join(out, 'result.json');
  rmSync(resultFile, { force: true });
  const r = spawnSync(process.execPath, [child, file, mode, JSON.stringify(eventFor(fn)), resultFile], {
    env: envFor(fn),
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 256 * 2 ** 20,
  });
  if (!existsSync(resultFile)) throw new Error(`${file} ${mode}: no result (exit ${r.status}):\n${r.stderr.slice(-2000)}`);
  return JSON.parse(readFileSync(resultFile, 'utf8')) as ChildResult;
}

// BENCH_COLD_ONLY=products-get-product,products-list-products: only those (beside the empty handler); not recorded.
const only = process.env.BENCH_COLD_ONLY?.split(',');
const fns = catalogFunctions(services).filter((fn) => !only || only.includes(fn.id));
const empty: CatalogFunction = { id: '(empty handler)', service: 'bench', kind: 'schedule', entry: 'bench/lib/empty-handler.ts' };
rmSync(out, { recursive: true, force: true });
const bundles: Bundle[] = [];
for (const fn of [empty, ...fns]) {
  const dir = join(out, fn.id.replace(/[^\w-]/g, '_'));
  mkdirSync(dir, { recursive: true });
  const ext = await bundle(fn, dir, false);
  const b: Bundle = {
    fn,
    file: ext.file,
    bytes: ext.bytes,
    mongoose: Object.keys(ext.meta.inputs).some((i) => i.includes('node_modules/mongoose/')),
    top: contributors(ext.meta),
  };
  const usesSdk = Object.values(ext.meta.outputs).some((o) => o.imports.some((i) => i.path.startsWith('@aws-sdk/')));
  // The SDK question is the same for every function of a service: one per service answers it at half the bench's time.
  if (usesSdk && !bundles.some((other) => other.fn.service === fn.service && other.sdkBundled)) {
    const sdkDir = join(dir, 'sdk-bundled');
    mkdirSync(sdkDir, { recursive: true });
    const inl = await bundle(fn, sdkDir, true);
    b.sdkBundled = { file: inl.file, bytes: inl.bytes };
  }
  bundles.push(b);
}

// Rounds across all bundles rather than 15 in a row each, so a noisy moment on the shared machine hits every bundle alike.
const init = new Map<string, number[]>();
const rss = new Map<string, number[]>();
const push = (m: Map<string, number[]>, k: string, v: number) => m.set(k, [...(m.get(k) ?? []), v]);
for (let round = 0; round < runs; round++) {
  for (const b of bundles) {
    const r = runChild(b.file, b.fn, 'init');
    push(init, b.file, r.initMs);
    push(rss, b.file, r.rssInitMb);
    if (b.sdkBundled) push(init, b.sdkBundled.file, runChild(b.sdkBundled.file, b.fn, 'init').initMs);
  }
}
const warm = new Map(bundles.map((b) => [b.file, runChild(b.file, b.fn, 'warm')]));

const emptyMs = median(init.get(bundles[0]!.file)!);
const kb = (bytes: number) => Math.round(bytes / 1024);
const rows = bundles.map((b) => {
  const ms = median(init.get(b.file)!);
  const sdkMs = b.sdkBundled ? median(init.get(b.sdkBundled.file)!) : undefined;
  const w = warm.get(b.file)!;
  const budgetKb = b.mongoose ? BUDGET_KB.mongoose : BUDGET_KB.plain;
  return {
    id: b.fn.id,
    kind: b.fn.kind,
    mongoose: b.mongoose,
    bundleKb: kb(b.bytes),
    budgetKb,
    sizeOk: kb(b.bytes) < budgetKb,
    initMs: Math.round(ms),
    ratio: Number((ms / emptyMs).toFixed(2)),
    initOk: ms <= BUDGET_RATIO * emptyMs,
    sdkBundledKb: b.sdkBundled ? kb(b.sdkBundled.bytes) : undefined,
    sdkBundledInitMs: sdkMs === undefined ? undefined : Math.round(sdkMs),
    rssInitMb: Math.round(median(rss.get(b.file)!)),
    warm: w.warm,
    firstCall: w.firstCall,
    rssWarmMb: w.rssWarmMb === undefined ? undefined : Math.round(w.rssWarmMb),
    top: b.top.map(([p, bytes]) => `${p} ${kb(bytes)}`),
  };
});

console.log(
  `Cold start, ${runs} fresh processes each (node ${process.version}, NODE_OPTIONS=--enable-source-maps as on Lambda); empty handler ${emptyMs.toFixed(1)} ms, budget ${BUDGET_RATIO}x = ${(BUDGET_RATIO * emptyMs).toFixed(1)} ms`,
);
console.log(
  table(
    ['function', 'kind', 'KB', 'budget', 'init ms', 'x empty', 'SDK bundled: KB', 'init ms', 'RSS init MB', 'RSS after 1000 MB'],
    rows.map((r) => [
      r.id,
      r.kind,
      r.bundleKb,
      `${r.sizeOk ? 'ok' : 'MISS'} <${r.budgetKb}`,
      r.initMs,
      `${r.ratio}${r.initOk ? '' : ' MISS'}`,
      r.sdkBundledKb ?? '-',
      r.sdkBundledInitMs ?? '-',
      r.rssInitMb,
      r.rssWarmMb ?? `${r.warm} (${String(r.firstCall ?? '')})`.replace(' ()', ''),
    ]),
  ),
);
console.log('\nLargest contributors to each bundle (KB of minified output):');
for (const r of rows) console.log(`  ${r.id}: ${r.top.join(', ')}`);
writeFileSync(join(out, 'rows.json'), JSON.stringify(rows, null, 2));
if (only) console.log('\nBENCH_COLD_ONLY: a partial run, not written to bench/results/latest.json');
else
  recordResults('coldStart', {
    runs,
    node: process.version,
    emptyInitMs: Number(emptyMs.toFixed(1)),
    budgetRatio: BUDGET_RATIO,
    functions: rows,
  });

// Load on the offline platform from a second process (this one; autocannon): GET /products/{id} beside a bare node:http
// floor answering it with one direct query to the same FerretDB, the search, POST /login, and the order flow.
// Bounded: each target runs BENCH_LOAD_SECONDS (default 10) after a 2 s warm-up.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { generateProduct } from '../functions/products/store/generate.ts';
import { api } from '../test/support/api.ts';
import { type OrderBody, orderableProduct, placeOrder } from '../test/support/orders.ts';
import { processCpuSeconds, treeCpuSeconds } from './lib/offline.ts';
import { recordResults, table } from './lib/results.ts';

const seconds = Number(process.env.BENCH_LOAD_SECONDS ?? 10);
// How often a client polls its order until it settles. The latency is read from the order's CONFIRMED time, so
// polling faster only adds GETs (at 25 ms, 20 clients sent ~800 GET/s into the same process as the flow).
const pollMs = Number(process.env.BENCH_ORDER_POLL_MS ?? 100);
const here = import.meta.dirname;

function launch(args: string[], ready: RegExp): Promise<{ child: ChildProcess; match: RegExpExecArray; output: () => string }> {
  // BENCH_NODE_ARGS: extra Node flags for the launched processes, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', ...args], {
    cwd: join(here, '..'),
    env: { ...process.env, LOG_LEVEL: 'ERROR' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args[0]} not ready in 180 s:\n${output}`)), 180_000);
    child.once('exit', (code) => reject(new Error(`${args[0]} exited (${code}):\n${output}`)));
    const on = (d: Buffer) => {
      output += String(d);
      const match = ready.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match, output: () => output });
      }
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGINT');
  await exited;
}

interface Target {
  name: string;
  url: string;
  connections: number;
  requests: autocannon.Request[];
  headers?: Record<string, string>;
}

async function run(target: Target, duration: number) {
  return autocannon({
    url: target.url,
    connections: target.connections,
    duration,
    headers: target.headers,
    requests: target.requests,
  });
}

/** `clients` customers' loops of: place an order, poll it until it settles; for `seconds`. */
async function ordersUnderLoad(baseUrl: string, apiKey: string, clients: number, seconds: number, runtimePid: number) {
  // The e2e helpers' client, given the runtime's URL and key (outside vitest there is nothing to inject).
  const call = api(baseUrl, apiKey);
  const signIn = async (email: string, password: string) => {
    const res = await call<{ accessToken: string }>('POST', '/login', { body: { email, password } });
    if (res.status !== 200) throw new Error(`login ${email}: ${res.status}`);
    return res.body.accessToken;
  };
  const admin = await signIn('admin@shop.local', 'ChangeMe-Admin-2026!');
  // One product per client: 20 clients on one product would measure DynamoDB's hot-key transaction conflicts instead.
  const products = await Promise.all(
    Array.from({ length: clients }, (_, i) => orderableProduct(call, admin, { stock: 1_000_000, name: `Load Test Item ${i}` })),
  );
  const email = `load-${Date.now()}@bench.local`;
  await call('POST', '/register', { body: { email, password: 'Bench-Password-2026!', name: 'Load Bench' } });
  const token = await signIn(email, 'Bench-Password-2026!');
  const latencies: number[] = [];
  let otherwise = 0;
  let refused = 0;
  let unsettled = 0;
  const until = performance.now() + seconds * 1000;
  const loop = async (client: number) => {
    while (performance.now() < until) {
      const started = performance.now();
      const startedAt = Date.now();
      const placed = await placeOrder(call, token, [{ productId: products[client]!.id, quantity: 1 }]);
      if (placed.status !== 202 && placed.status !== 201) {
        refused++;
        continue;
      }
      for (;;) {
        const res = await call<OrderBody>('GET', `/orders/${placed.body.id}`, { token });
        const status = res.body?.status;
        if (status === 'CONFIRMED') {
          // The order's own CONFIRMED time (same machine, same clock), so the poll interval adds no error.
          const confirmedAt = res.body.history.findLast((h) => h.status === 'CONFIRMED')?.at;
          latencies.push(confirmedAt ? Date.parse(confirmedAt) - startedAt : performance.now() - started);
        } else if (status === 'CANCELLED' || status === 'NEEDS_ATTENTION') otherwise++;
        else if (performance.now() - started < 30_000) {
          await new Promise((r) => setTimeout(r, pollMs));
          continue;
        } else unsettled++;
        break;
      }
    }
  };
  const [cpu0, tree0] = [await processCpuSeconds(runtimePid), await treeCpuSeconds(runtimePid)];
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, (_, i) => loop(i)));
  const elapsed = (performance.now() - t0) / 1000;
  const [cpu1, tree1] = [await processCpuSeconds(runtimePid), await treeCpuSeconds(runtimePid)];
  latencies.sort((a, b) => a - b);
  const pick = (q: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] ?? Number.NaN);
  return {
    clients,
    confirmed: latencies.length,
    otherwise,
    refused,
    unsettled,
    ordersPerSecond: Number((latencies.length / elapsed).toFixed(1)),
    // CPU of the runtime's one Node process (every function, the gateway, the saga runner, dynalite) and of the whole
    // tree (plus PostgreSQL, FerretDB), per confirmed order and as a share of one core over the row.
    nodeCpuMsPerOrder: Math.round(((cpu1 - cpu0) * 1000) / Math.max(1, latencies.length)),
    treeCpuMsPerOrder: Math.round(((tree1 - tree0) * 1000) / Math.max(1, latencies.length)),
    nodeCorePercent: Math.round(((cpu1 - cpu0) / elapsed) * 100),
    treeCorePercent: Math.round(((tree1 - tree0) / elapsed) * 100),
    p50: pick(0.5),
    p99: pick(0.99),
  };
}

const dataDir = await mkdtemp(join(tmpdir(), 'shop-bench-load-'));
const platform = await launch([join(here, 'lib', 'load-runtime.ts'), dataDir], /READY (http:\/\/\S+)/);
let floor: Awaited<ReturnType<typeof launch>> | undefined;
try {
  const url = platform.match[1]!;
  const apiKey = /API key: (\S+)/.exec(platform.output())![1]!;
  const env = JSON.parse(await readFile(join(dataDir, 'runtime-env.json'), 'utf8')) as Record<string, string>;
  floor = await launch([join(here, 'lib', 'floor-server.ts'), env.MONGODB_URI!], /LISTENING (\d+)/);
  const floorUrl = `http://127.0.0.1:${floor.match[1]}`;

  const ids = Array.from({ length: 20 }, (_, n) => generateProduct('demo', n * 15).product.id);
  const byId = ids.map((id) => ({ method: 'GET' as const, path: `/products/${id}` }));
  const json = { 'content-type': 'application/json', 'x-api-key': apiKey };
  const targets: Target[] = [
    { name: 'floor: node:http + one findOne', url: floorUrl, connections: 10, requests: byId },
    { name: 'GET /products/{id}', url, connections: 10, requests: byId, headers: { 'x-api-key': apiKey } },
    {
      name: 'GET /products?q=steel knife&sort=price_asc',
      url,
      connections: 10,
      requests: [{ method: 'GET', path: '/products?q=steel%20knife&sort=price_asc' }],
      headers: { 'x-api-key': apiKey },
    },
    {
      name: 'POST /login (scrypt N=2^15)',
      url,
      connections: 4,
      requests: [
        {
          method: 'POST',
          path: '/login',
          body: JSON.stringify({ email: 'admin@shop.local', password: 'ChangeMe-Admin-2026!' }),
        },
      ],
      headers: json,
    },
  ];
  const rows = [];
  // BENCH_ORDERS_ONLY=1 skips the request targets (e.g. to profile the order flow alone).
  for (const target of process.env.BENCH_ORDERS_ONLY ? [] : targets) {
    await run(target, 2);
    const r = await run(target, seconds);
    rows.push({
      target: target.name,
      connections: target.connections,
      rps: Math.round(r.requests.average),
      p50: r.latency.p50,
      p99: r.latency.p99,
      non2xx: r.non2xx,
      errors: r.errors + r.timeouts,
      total: r.requests.total,
    });
  }
  // Issue 10 asks for 1, 5 and 20 concurrent clients; BENCH_ORDER_CLIENTS=20 runs one of them.
  const clientCounts = (process.env.BENCH_ORDER_CLIENTS ?? '1,5,20').split(',').map(Number);
  const orderFlows = [];
  for (const clients of clientCounts) orderFlows.push(await ordersUnderLoad(url, apiKey, clients, seconds, platform.child.pid!));
  const floorRps = rows[0]?.rps ?? Number.NaN;
  const getRps = rows[1]?.rps ?? Number.NaN;
  console.log(`Load, ${seconds} s each after a 2 s warm-up (autocannon ${'9.0.0'}, this process; the platform in another)`);
  console.log(
    table(
      ['target', 'c', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'requests'],
      rows.map((r) => [r.target, r.connections, r.rps, r.p50, r.p99, r.non2xx, r.errors, r.total]),
    ),
  );
  console.log(`GET /products/{id} / floor: ${(getRps / floorRps).toFixed(2)} (target >= 0.5)`);
  console.log(
    `Order flow, ${seconds} s per row (one product per client; POST /orders, then GET every ${pollMs} ms until settled; ` +
      "latency from the POST to the order's own CONFIRMED time; target at 20 clients: >= 100 orders/s, p99 < 500 ms)",
  );
  console.log(
    table(
      [
        'clients',
        'orders/s',
        'p50 ms',
        'p99 ms',
        'confirmed',
        'cancelled/attention',
        'refused',
        'unsettled 30 s',
        'Node CPU ms/order (% core)',
        'all CPU ms/order (% core)',
      ],
      orderFlows.map((f) => [
        f.clients,
        f.ordersPerSecond,
        f.p50,
        f.p99,
        f.confirmed,
        f.otherwise,
        f.refused,
        f.unsettled,
        `${f.nodeCpuMsPerOrder} (${f.nodeCorePercent} %)`,
        `${f.treeCpuMsPerOrder} (${f.treeCorePercent} %)`,
      ]),
    ),
  );
  // A partial run (BENCH_ORDERS_ONLY) would overwrite the full table in latest.json with an empty one.
  if (!process.env.BENCH_ORDERS_ONLY)
    recordResults('load', { seconds, rows, getVsFloor: Number((getRps / floorRps).toFixed(2)), orderFlows });
} finally {
  if (floor) await stop(floor.child);
  await stop(platform.child);
  await rm(dataDir, { recursive: true, force: true });
}

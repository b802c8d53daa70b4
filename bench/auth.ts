// Register, login and refresh throughput and latency through the offline gateway, and the raw scrypt cost behind them.
//   npx tsx bench/auth.ts        (starts its own runtime on free loopback ports in a temp dir; bounded loops)
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { currentScryptParams, hashPassword } from '../functions/users/domain/passwords.ts';
import { startRuntime } from '../infra/offline/runtime.ts';
import { recordResults } from './lib/results.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 80);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const PASSWORD = 'Correct-Horse-42';

interface Result {
  name: string;
  ok: number;
  failed: number;
  seconds: number;
  latencies: number[];
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;

/** Runs `count` requests over `concurrency` workers; each request's latency is from send to the parsed answer. */
async function load(name: string, count: number, concurrency: number, request: (i: number) => Promise<boolean>): Promise<Result> {
  const latencies: number[] = [];
  let next = 0;
  let failed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) {
        const t = performance.now();
        const ok = await request(i);
        latencies.push(performance.now() - t);
        if (!ok) failed++;
      }
    }),
  );
  return {
    name,
    ok: count - failed,
    failed,
    seconds: (performance.now() - started) / 1000,
    latencies: latencies.sort((a, b) => a - b),
  };
}

function report(r: Result): string {
  const rps = r.seconds > 0 ? (r.ok / r.seconds).toFixed(1) : '-';
  return `| ${r.name.padEnd(20)} | ${String(r.ok).padStart(4)} | ${String(r.failed).padStart(6)} | ${rps.padStart(7)} | ${percentile(r.latencies, 50).toFixed(0).padStart(10)} | ${percentile(r.latencies, 99).toFixed(0).padStart(7)} |`;
}

async function scryptCost(N: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await hashPassword(PASSWORD, { ...currentScryptParams, N });
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[2]!;
}

// The bench signs in wrongly from one address on purpose (below); keep the per-client lockout out of its way.
process.env.LOGIN_MAX_FAILURES_PER_CLIENT ??= '100000';
const dataDir = await mkdtemp(join(tmpdir(), 'shop-bench-auth-'));
const runtime = await startRuntime({ dataDir, ports: 'free', persist: false, seed: true, rateLimit: 10_000, burstLimit: 10_000 });
try {
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${runtime.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': runtime.apiKey },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const run = randomBytes(3).toString('hex');
  const email = (i: number) => `bench-${run}-${i}@example.test`;

  // Warm-up: load every handler module and the signing key, as a warm Lambda container would have.
  for (let i = 0; i < 3; i++) await post('/register', { email: email(-1 - i), password: PASSWORD, name: 'Warm' });
  await post('/login', { email: email(-1), password: PASSWORD });

  const results: Result[] = [];
  results.push(
    await load(
      'POST /register',
      REQUESTS,
      CONCURRENCY,
      async (i) => (await post('/register', { email: email(i), password: PASSWORD, name: 'Bench' })).status === 201,
    ),
  );
  const refreshTokens: string[] = [];
  results.push(
    await load('POST /login', REQUESTS, CONCURRENCY, async (i) => {
      const res = await post('/login', { email: email(i), password: PASSWORD });
      if (res.status === 200) refreshTokens.push(res.body.refreshToken as string);
      return res.status === 200;
    }),
  );
  results.push(
    await load(
      'POST /token/refresh',
      refreshTokens.length,
      CONCURRENCY,
      async (i) => (await post('/token/refresh', { refreshToken: refreshTokens[i] })).status === 200,
    ),
  );
  const single = await load(
    'POST /login (c=1)',
    Math.min(20, REQUESTS),
    1,
    async (i) => (await post('/login', { email: email(i), password: PASSWORD })).status === 200,
  );
  results.push(single);
  // Wrong email and wrong password must cost the same (one scrypt each); compare them one at a time, interleaved.
  const failures = Math.min(20, REQUESTS);
  const wrongPassword: number[] = [];
  const unknownEmail: number[] = [];
  let unexpected = 0;
  for (let i = 0; i < failures; i++) {
    for (const [latencies, body] of [
      [wrongPassword, { email: email(i), password: 'Wrong-Password-1' }],
      [unknownEmail, { email: `nobody-${run}-${i}@example.test`, password: 'Wrong-Password-1' }],
    ] as const) {
      const t = performance.now();
      if ((await post('/login', body)).status !== 401) unexpected++;
      latencies.push(performance.now() - t);
    }
  }
  results.push(
    { name: '401 wrong password', ok: failures, failed: 0, seconds: 0, latencies: wrongPassword.sort((a, b) => a - b) },
    { name: '401 unknown email', ok: failures, failed: unexpected, seconds: 0, latencies: unknownEmail.sort((a, b) => a - b) },
  );

  console.log(`\nAuth through the offline gateway: ${REQUESTS} requests per row, concurrency ${CONCURRENCY} unless noted`);
  console.log(
    `host: ${cpus()[0]?.model ?? 'unknown cpu'}, ${availableParallelism()} cpus, Node ${process.versions.node}, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}\n`,
  );
  console.log('| route                |   ok | failed |   req/s | median ms  | p99 ms  |');
  console.log('|----------------------|------|--------|---------|------------|---------|');
  for (const r of results) console.log(report(r));
  recordResults('auth', {
    requests: REQUESTS,
    concurrency: CONCURRENCY,
    rows: results.map((r) => ({
      route: r.name,
      ok: r.ok,
      failed: r.failed,
      medianMs: Math.round(r.latencies[Math.floor(r.latencies.length / 2)] ?? Number.NaN),
      p99Ms: Math.round(r.latencies[Math.min(r.latencies.length - 1, Math.ceil(0.99 * r.latencies.length) - 1)] ?? Number.NaN),
    })),
  });

  console.log(`\nscrypt cost per hash (r=${currentScryptParams.r}, p=${currentScryptParams.p}; median of 5, one at a time):\n`);
  console.log('| N      | memory  | ms     |');
  console.log('|--------|---------|--------|');
  for (const exp of [14, 15, 16, 17]) {
    const N = 2 ** exp;
    const mib = (128 * N * currentScryptParams.r) / 2 ** 20;
    const marker = N === currentScryptParams.N ? ' (current)' : '';
    console.log(`| 2^${exp}   | ${`${mib} MiB`.padEnd(7)} | ${(await scryptCost(N)).toFixed(0).padStart(6)} |${marker}`);
  }
  if (results.some((r) => r.failed)) process.exitCode = 1;
} finally {
  await runtime.stop();
  await rm(dataDir, { recursive: true, force: true });
}

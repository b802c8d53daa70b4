/**
 * ProcessPayment latency against the mock processor over HTTP (embedded PostgreSQL, the real adapter and resilience
 * policies), with 0 ms and 50 ms added processor latency, and the fail-fast latency while the circuit breaker is open.
 * Starts its own PostgreSQL and processor on free loopback ports in a temp dir; bounded loops.
 * Run: npx tsx bench/payments.ts [payments=200]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Before the modules that build the logger and metrics read them: the bench prints its table, not logs or EMF.
Object.assign(process.env, { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' });
const { startProcessorServer } = await import('../functions/payment-processor/server.ts');
const { buildPaymentsApp } = await import('../functions/payments/composition.ts');
const { PaymentProcessorUnavailable } = await import('../functions/payments/domain/errors.ts');
const { processPayment } = await import('../functions/payments/domain/payments.ts');
const { resetConfig } = await import('../shared/config.ts');
const { closePools, poolFor } = await import('../shared/db/postgres.ts');
const { newId } = await import('../shared/ids.ts');
const { freePort } = await import('../infra/offline/engines/ports.ts');
const { startPostgres } = await import('../infra/offline/engines/postgres.ts');
const { migrateService } = await import('../infra/offline/runtime.ts');
const { quantile, recordResults, table } = await import('./lib/results.ts');

const count = Number(process.argv[2] ?? 200);
const dataDir = await mkdtemp(join(tmpdir(), 'shop-bench-payments-'));
const postgres = await startPostgres({
  dataDir: join(dataDir, 'pg'),
  port: await freePort(),
  services: ['payments'],
  external: {},
});
const processor = await startProcessorServer();
try {
  Object.assign(process.env, postgres.env());
  resetConfig();
  const pool = await poolFor('payments');
  await migrateService(pool, 'payments');
  const app = buildPaymentsApp({
    pool,
    processorUrl: processor.url,
    publisher: { publish: async () => {} },
    // The production defaults (composition.ts), except a breaker that stays open while it is measured.
    policy: {
      timeoutMs: 2_000,
      maxRetries: 2,
      backoff: { initialMs: 100, maxMs: 1_000 },
      breaker: { consecutiveFailures: 5, halfOpenAfterMs: 600_000 },
    },
  });
  const order = () => ({
    orderId: newId('ord'),
    userId: newId('usr'),
    amount: { amount: 2598, currency: 'USD' },
    paymentMethod: 'pm_card_visa',
  });

  /** Sequential calls, so each latency is one payment's alone. */
  const measure = async (n: number, call: () => Promise<unknown>) => {
    const latencies: number[] = [];
    let failed = 0;
    for (let i = 0; i < n; i++) {
      const started = performance.now();
      await call().catch(() => failed++);
      latencies.push(performance.now() - started);
    }
    return { latencies, failed };
  };

  await measure(20, () => processPayment(app, order(), 'bench'));
  const rows: Array<Array<string | number>> = [];
  const results: Record<string, { p50: number; p99: number; n: number; failed: number }> = {};
  const add = (name: string, r: { latencies: number[]; failed: number }) => {
    const p50 = quantile(r.latencies, 0.5);
    const p99 = quantile(r.latencies, 0.99);
    results[name] = { p50: Number(p50.toFixed(2)), p99: Number(p99.toFixed(2)), n: r.latencies.length, failed: r.failed };
    rows.push([name, r.latencies.length, r.failed, p50.toFixed(2), p99.toFixed(2)]);
  };

  add('ProcessPayment, +0 ms', await measure(count, () => processPayment(app, order(), 'bench')));
  processor.faults.latencyMs = 50;
  add('ProcessPayment, +50 ms', await measure(Math.ceil(count / 2), () => processPayment(app, order(), 'bench')));

  processor.faults.latencyMs = 0;
  processor.faults.down = true;
  while (app.breaker.state() !== 'open') await processPayment(app, order(), 'bench').catch(() => {});
  const reached = processor.stats.requests;
  // Here the expected answer is PaymentProcessorUnavailable; anything else counts as failed.
  const failsFast = (call: () => Promise<unknown>) => async () => {
    const error = await call().then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(error instanceof PaymentProcessorUnavailable)) throw new Error('expected a fail-fast');
  };
  add(
    'ProcessPayment, breaker open',
    await measure(
      count,
      failsFast(() => processPayment(app, order(), 'bench')),
    ),
  );
  add(
    'processor call only, breaker open',
    await measure(
      count,
      failsFast(() =>
        app.processor.charge({
          idempotencyKey: newId('key'),
          orderId: newId('ord'),
          amount: { amount: 1, currency: 'USD' },
          paymentMethod: 'pm_card_visa',
        }),
      ),
    ),
  );
  const leaked = processor.stats.requests - reached;

  console.log(table(['scenario', 'calls', 'failed', 'p50 ms', 'p99 ms'], rows));
  console.log(
    `\nWhile the breaker was open, ${leaked} request(s) reached the processor. ProcessPayment still writes its pending` +
      ' payment row before it asks; the processor call alone is the breaker itself.',
  );
  recordResults('payments', { count, results, requestsReachingProcessorWhileOpen: leaked });
} finally {
  await closePools();
  await processor.close();
  await postgres.stop();
  await rm(dataDir, { recursive: true, force: true });
}

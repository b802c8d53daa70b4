import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Pool, poolFor } from '../../shared/db/postgres.ts';
import { NotFound } from '../../shared/errors.ts';
import type { Principal } from '../../shared/http/handler.ts';
import { newId } from '../../shared/ids.ts';
import { logger, onGauge, onMetric } from '../../shared/observability.ts';
import { RecordingPublisher } from '../../test/support/events.ts';
import { reconcile } from '../../test/support/reconcile.ts';
import { startProcessorServer } from '../payment-processor/server.ts';
import { buildPaymentsApp, type PaymentsApp, type ProcessorPolicy } from './composition.ts';
import { IdempotencyMismatch, PaymentDeclined, PaymentProcessorUnavailable, RefundExceedsCaptured } from './domain/errors.ts';
import {
  type ChargeOrder,
  compensatePayment,
  getOrderPayment,
  getPayment,
  listPayments,
  processPayment,
  refund,
  refundPayment,
  resumePendingRefunds,
  settleVoidedPayments,
} from './domain/payments.ts';

// Short enough for the timeout tests, long enough that a loaded machine does not time out the others.
const TIMEOUT_MS = 500;
const policy = (overrides: Partial<ProcessorPolicy> = {}): ProcessorPolicy => ({
  timeoutMs: TIMEOUT_MS,
  maxRetries: 2,
  backoff: { initialMs: 5, maxMs: 20 },
  breaker: { consecutiveFailures: 50, halfOpenAfterMs: 60_000 },
  ...overrides,
});

let pool: Pool;
let processor: Awaited<ReturnType<typeof startProcessorServer>>;
let publisher: RecordingPublisher;
const correlationId = 'test-correlation';

/** Each test gets its own breaker, so one test's failures never open another's. */
const freshApp = (overrides: Partial<ProcessorPolicy> = {}): PaymentsApp =>
  buildPaymentsApp({ pool, processorUrl: processor.url, publisher, policy: policy(overrides) });

const order = (paymentMethod = 'pm_card_visa', amount = 2598): ChargeOrder => ({
  orderId: newId('ord'),
  userId: newId('usr'),
  amount: { amount, currency: 'USD' },
  paymentMethod,
});

async function processorCharges(orderId: string) {
  const response = await fetch(`${processor.url}/v1/charges?order_id=${orderId}`);
  return ((await response.json()) as { data: Array<{ id: string; status: string; amount_refunded: number }> }).data;
}

async function ledger(orderId: string) {
  const { rows } = await pool.query<{ kind: string; amount: number; processor_ref: string | null }>(
    "SELECT kind, amount, processor_ref FROM payment_transactions WHERE order_id = $1 ORDER BY created_at, kind = 'refund'",
    [orderId],
  );
  return rows;
}

const outboxTypes = async (paymentId: string) =>
  (
    await pool.query<{ event_type: string }>(
      "SELECT event_type FROM outbox WHERE envelope->'data'->>'paymentId' = $1 ORDER BY seq",
      [paymentId],
    )
  ).rows.map((r) => r.event_type);

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error as Error & { details?: Record<string, unknown> },
  );

beforeAll(async () => {
  pool = await poolFor('payments');
  processor = await startProcessorServer();
  publisher = new RecordingPublisher();
});

afterEach(() => {
  Object.assign(processor.faults, { latencyMs: 0, failNext: 0, down: false });
});

afterAll(async () => {
  // Every test's books agree with the processor's, whatever timed out, retried or raced.
  expect(await reconcile(pool, processor.url)).toEqual([]);
  await processor.close();
});

describe('ProcessPayment for each test payment method', () => {
  it.each([
    ['pm_card_visa', 'visa', '4242'],
    ['pm_card_mastercard', 'mastercard', '4444'],
    ['pm_card_amex', 'amex', '8431'],
  ])('%s is captured once, with brand and last 4 only', async (method, brand, last4) => {
    const app = freshApp();
    const input = order(method);
    const result = await processPayment(app, input, correlationId);
    expect(result).toMatchObject({ status: 'captured', brand, last4 });
    expect(await processPayment(app, input, correlationId)).toEqual(result);
    expect((await ledger(input.orderId)).map((e) => e.kind)).toEqual(['charge']);
    expect(await processorCharges(input.orderId)).toHaveLength(1);
    expect(await outboxTypes(result.paymentId)).toEqual(['payment.initiated', 'payment.completed']);
    // Nothing of the token is stored: only what the processor told us.
    const { rows } = await pool.query('SELECT * FROM payments WHERE id = $1', [result.paymentId]);
    expect(JSON.stringify(rows)).not.toContain(method);
  });

  it.each([
    ['pm_card_chargeDeclined', 'card_declined'],
    ['pm_card_chargeDeclinedInsufficientFunds', 'insufficient_funds'],
    ['pm_card_chargeDeclinedExpiredCard', 'expired_card'],
    ['pm_card_doesNotExist', 'invalid_payment_method'],
  ])('%s is declined (%s), recorded as a failed attempt, and stays declined on retry', async (method, reason) => {
    const app = freshApp();
    const input = order(method);
    const error = await failure(processPayment(app, input, correlationId));
    expect(error).toBeInstanceOf(PaymentDeclined);
    expect(error.name).toBe('PaymentDeclined');
    expect(error.details).toEqual({ reason });
    const again = await failure(processPayment(app, input, correlationId));
    expect(again.details).toEqual({ reason });
    expect((await ledger(input.orderId)).map((e) => e.kind)).toEqual(['failed_charge']);
    const payment = (await app.payments.findByOrder(input.orderId))!;
    expect(payment).toMatchObject({ status: 'failed', failureReason: reason, capturedAmount: 0 });
    expect(await outboxTypes(payment.id)).toEqual(['payment.initiated', 'payment.failed']);
    // A declined order compensates to nothing.
    expect(
      (await compensatePayment(app, { orderId: input.orderId, reason: 'PAYMENT_DECLINED' }, correlationId)).refunded,
    ).toBeNull();
  });

  it('pm_card_transientErrorThenSucceeds is retried with the same key and captured once', async () => {
    const retries: number[] = [];
    const stop = onMetric((name, _unit, value) => name === 'PaymentProcessorRetries' && retries.push(value));
    const input = order('pm_card_transientErrorThenSucceeds');
    const result = await processPayment(freshApp(), input, correlationId);
    stop();
    expect(result.status).toBe('captured');
    expect(retries.length).toBeGreaterThanOrEqual(1);
    expect(await processorCharges(input.orderId)).toHaveLength(1);
  });

  it('pm_card_slowerThanTimeout: the first answer times out after the charge landed; the retry gets that charge', async () => {
    processor.processor.slowMs = TIMEOUT_MS * 4;
    const input = order('pm_card_slowerThanTimeout');
    const result = await processPayment(freshApp(), input, correlationId);
    const charges = await processorCharges(input.orderId);
    expect(charges).toHaveLength(1);
    expect((await ledger(input.orderId)).map((e) => e.processor_ref)).toEqual([charges[0]!.id]);
    expect(result.status).toBe('captured');
  });

  it('pm_card_processorOutage is PaymentProcessorUnavailable (transient); a compensation then voids the payment', async () => {
    const app = freshApp();
    const input = order('pm_card_processorOutage');
    const error = await failure(processPayment(app, input, correlationId));
    expect(error).toBeInstanceOf(PaymentProcessorUnavailable);
    expect(error.name).toBe('PaymentProcessorUnavailable');
    expect((await app.payments.findByOrder(input.orderId))!.status).toBe('pending');
    expect(await compensatePayment(app, { orderId: input.orderId, reason: 'PAYMENT_FAILED' }, correlationId)).toMatchObject({
      refunded: null,
    });
    expect((await app.payments.findByOrder(input.orderId))!.status).toBe('voided');
    expect((await failure(processPayment(app, input, correlationId))).details).toEqual({ reason: 'payment_voided' });
    expect(await processorCharges(input.orderId)).toEqual([]);
  });
});

describe('card data', () => {
  it('no payment-method token reaches a log line, a table or an event; only brand and last 4 are kept', async () => {
    const logged: unknown[] = [];
    const spies = (['debug', 'info', 'warn', 'error'] as const).map((level) =>
      vi.spyOn(logger, level).mockImplementation((...args: unknown[]) => {
        logged.push(args);
      }),
    );
    try {
      const app = freshApp({ maxRetries: 1 });
      const paid = order('pm_card_transientErrorThenSucceeds');
      const { paymentId } = await processPayment(app, paid, correlationId);
      await refundPayment(
        app,
        paymentId,
        { idempotencyKey: 'card-data-1', amount: 100, reason: 'r', requestedBy: 'usr_admin' },
        correlationId,
      );
      await failure(processPayment(app, order('pm_card_chargeDeclinedInsufficientFunds'), correlationId));
      const stuck = order('pm_card_processorOutage');
      await failure(processPayment(app, stuck, correlationId));
      await compensatePayment(app, { orderId: stuck.orderId, reason: 'PAYMENT_FAILED' }, correlationId);
      await compensatePayment(app, { orderId: paid.orderId, reason: 'CONFIRMATION_FAILED' }, correlationId);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(logged.length).toBeGreaterThan(0);
    expect(JSON.stringify(logged)).not.toMatch(/pm_card/);
    for (const table of ['payments', 'payment_transactions', 'refunds', 'outbox']) {
      const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${table}::text LIKE '%pm_card%'`);
      expect(rows[0].n, table).toBe(0);
    }
  });
});

describe('a timeout after the charge landed', () => {
  it('every attempt times out while the charge lands; a later attempt records that one charge', async () => {
    const app = freshApp();
    const input = order();
    processor.faults.latencyMs = TIMEOUT_MS * 2;
    expect(await failure(processPayment(app, input, correlationId))).toBeInstanceOf(PaymentProcessorUnavailable);
    expect(await processorCharges(input.orderId)).toHaveLength(1);
    expect(await ledger(input.orderId)).toEqual([]);
    processor.faults.latencyMs = 0;
    const result = await processPayment(app, input, correlationId);
    const charges = await processorCharges(input.orderId);
    expect(charges).toHaveLength(1);
    expect((await ledger(input.orderId)).map((e) => [e.kind, e.processor_ref])).toEqual([['charge', charges[0]!.id]]);
    expect(result.status).toBe('captured');
    expect(await reconcile(pool, processor.url, [input.orderId])).toEqual([]);
  });

  it('the saga gives up and compensates: the charge that landed is found, booked and refunded', async () => {
    const app = freshApp();
    const input = order();
    processor.faults.latencyMs = TIMEOUT_MS * 2;
    expect(await failure(processPayment(app, input, correlationId))).toBeInstanceOf(PaymentProcessorUnavailable);
    processor.faults.latencyMs = 0;
    const outcome = await compensatePayment(app, { orderId: input.orderId, reason: 'PAYMENT_FAILED' }, correlationId);
    expect(outcome.refunded).toEqual(input.amount);
    expect((await ledger(input.orderId)).map((e) => e.kind)).toEqual(['charge', 'refund']);
    expect((await processorCharges(input.orderId))[0]!.amount_refunded).toBe(input.amount.amount);
    expect(await reconcile(pool, processor.url, [input.orderId])).toEqual([]);
  });
});

describe('a compensation refund the processor refused', () => {
  it('is never reported as refunded: the next compensation asks again and gives the money back', async () => {
    const app = freshApp();
    const input = order();
    await processPayment(app, input, correlationId);
    const real = app.processor;
    // The processor refuses this one refund (our side must not count it as given back).
    const refusing = {
      ...app,
      processor: {
        charge: (r: Parameters<typeof real.charge>[0]) => real.charge(r),
        chargesForOrder: (o: string) => real.chargesForOrder(o),
        refund: async () => ({ outcome: 'rejected' as const, reason: 'processing_error' }),
      },
    };
    const compensate = { orderId: input.orderId, reason: 'CONFIRMATION_FAILED' };
    expect((await failure(compensatePayment(refusing, compensate, correlationId))).name).toBe('RefundRejected');
    const again = await compensatePayment(app, compensate, correlationId);
    expect(again.refunded).toEqual(input.amount);
    expect((await ledger(input.orderId)).map((e) => e.kind)).toEqual(['charge', 'refund']);
    expect((await processorCharges(input.orderId))[0]!.amount_refunded).toBe(input.amount.amount);
    // A third run is a no-op that reports the refund made, not another one.
    expect((await compensatePayment(app, compensate, correlationId)).refunded).toEqual(input.amount);
    expect((await ledger(input.orderId)).map((e) => e.kind)).toEqual(['charge', 'refund']);
    expect(await reconcile(pool, processor.url, [input.orderId])).toEqual([]);
  });
});

describe('an admin refund and the compensation', () => {
  it("an admin Idempotency-Key spelled like the saga's is not taken for the compensation: the rest is still refunded", async () => {
    const app = freshApp();
    const input = order();
    const { paymentId } = await processPayment(app, input, correlationId);
    // 'saga-compensation' is a valid Idempotency-Key header for POST /payments/{id}/refund.
    const admin = { idempotencyKey: 'saga-compensation', amount: 1000, reason: 'goodwill', requestedBy: newId('usr') };
    await refundPayment(app, paymentId, admin, correlationId);
    const outcome = await compensatePayment(app, { orderId: input.orderId, reason: 'CUSTOMER_CANCELLED' }, correlationId);
    expect(outcome.refunded).toEqual({ amount: input.amount.amount - 1000, currency: 'USD' });
    expect((await processorCharges(input.orderId))[0]!.amount_refunded).toBe(input.amount.amount);
    expect(await reconcile(pool, processor.url, [input.orderId])).toEqual([]);
  });
});

describe('the compensation and an admin refund still in flight', () => {
  it('settles that refund first: refused, its held amount is refunded by the compensation instead of kept', async () => {
    const app = freshApp();
    const input = order();
    const { paymentId } = await processPayment(app, input, correlationId);
    processor.faults.failNext = 100;
    const admin = { idempotencyKey: 'in-flight-admin-1', amount: 1000, reason: 'goodwill', requestedBy: newId('usr') };
    expect(await failure(refundPayment(app, paymentId, admin, correlationId))).toBeInstanceOf(PaymentProcessorUnavailable);
    processor.faults.failNext = 0;
    const [held] = await app.payments.refundsOf(paymentId);
    const real = app.processor;
    // The processor refuses the admin's refund when it is asked again; the compensation's own goes through.
    const refusingAdmin = {
      ...app,
      processor: {
        charge: (r: Parameters<typeof real.charge>[0]) => real.charge(r),
        chargesForOrder: (o: string) => real.chargesForOrder(o),
        refund: async (r: Parameters<typeof real.refund>[0]) =>
          r.idempotencyKey.includes(held!.id) ? { outcome: 'rejected' as const, reason: 'processing_error' } : real.refund(r),
      },
    };
    const outcome = await compensatePayment(
      refusingAdmin,
      { orderId: input.orderId, reason: 'CUSTOMER_CANCELLED' },
      correlationId,
    );
    expect(outcome.refunded).toEqual(input.amount);
    expect(await app.payments.findById(paymentId)).toMatchObject({ refundReserved: 0, refundedAmount: input.amount.amount });
    expect((await processorCharges(input.orderId))[0]!.amount_refunded).toBe(input.amount.amount);
    expect(await reconcile(pool, processor.url, [input.orderId])).toEqual([]);
  });
});

describe('a refund of a payment read before its capture was recorded', () => {
  it('asks the processor about the charge the payment holds now, not the none it held when read', async () => {
    const app = freshApp();
    const input = order();
    processor.faults.latencyMs = TIMEOUT_MS * 2;
    expect(await failure(processPayment(app, input, correlationId))).toBeInstanceOf(PaymentProcessorUnavailable);
    processor.faults.latencyMs = 0;
    // An admin refund read the payment here (pending), and the retried charge was recorded before it locked the row.
    const readEarlier = (await app.payments.findByOrder(input.orderId))!;
    expect(readEarlier.processorChargeId).toBeNull();
    await processPayment(app, input, correlationId);
    const made = await refund(
      app,
      readEarlier,
      { idempotencyKey: 'read-before-capture', amount: 500, reason: 'damaged', requestedBy: newId('usr') },
      correlationId,
    );
    expect(made.status).toBe('succeeded');
    expect((await processorCharges(input.orderId))[0]!.amount_refunded).toBe(500);
    expect(await reconcile(pool, processor.url, [input.orderId])).toEqual([]);
  });
});

describe('a charge that lands after the compensation voided the payment', () => {
  it('is booked and refunded at once, and the late attempt is answered as declined (payment_voided)', async () => {
    const app = freshApp();
    const input = order();
    let letThrough = () => {};
    const gate = new Promise<void>((resolve) => {
      letThrough = resolve;
    });
    // An attempt that claimed the payment row and is still on its way to the processor when the saga gives up.
    const slowAttempt = processPayment(
      {
        ...app,
        processor: {
          charge: async (request) => {
            await gate;
            return app.processor.charge(request);
          },
          refund: (request) => app.processor.refund(request),
          chargesForOrder: (orderId) => app.processor.chargesForOrder(orderId),
        },
      },
      input,
      correlationId,
    );
    await vi.waitFor(async () => expect(await app.payments.findByOrder(input.orderId)).not.toBeNull());
    expect(await compensatePayment(app, { orderId: input.orderId, reason: 'PAYMENT_FAILED' }, correlationId)).toMatchObject({
      refunded: null,
    });
    letThrough();
    expect((await failure(slowAttempt)).details).toEqual({ reason: 'payment_voided' });
    expect((await ledger(input.orderId)).map((e) => e.kind)).toEqual(['charge', 'refund']);
    expect((await processorCharges(input.orderId))[0]!.amount_refunded).toBe(input.amount.amount);
    expect(await reconcile(pool, processor.url, [input.orderId])).toEqual([]);
  });
});

describe('a compensation that ran before any ProcessPayment', () => {
  it('leaves a tombstone: the late ProcessPayment is declined (payment_voided) and never reaches the processor', async () => {
    const app = freshApp();
    const input = order();
    // The saga timed ProcessPayment out and compensated while the original invocation had not yet claimed the row.
    expect(await compensatePayment(app, { orderId: input.orderId, reason: 'PAYMENT_FAILED' }, correlationId)).toEqual({
      orderId: input.orderId,
      paymentId: null,
      refunded: null,
    });
    expect((await failure(processPayment(app, input, correlationId))).details).toEqual({ reason: 'payment_voided' });
    expect(await processorCharges(input.orderId)).toEqual([]);
    expect(await app.payments.findByOrder(input.orderId)).toMatchObject({ status: 'voided', capturedAmount: 0 });
    expect(await ledger(input.orderId)).toEqual([]);
    // The compensation again (a saga retry) is still a no-op, and the books reconcile.
    expect(
      (await compensatePayment(app, { orderId: input.orderId, reason: 'PAYMENT_FAILED' }, correlationId)).refunded,
    ).toBeNull();
    expect(await reconcile(pool, processor.url, [input.orderId])).toEqual([]);
  });

  it('racing 10 ProcessPayment calls, one compensation: either the charge is refunded or none is made', async () => {
    const app = freshApp();
    const input = order();
    const attempts = Array.from({ length: 10 }, () => processPayment(app, input, correlationId).catch((e: Error) => e));
    await compensatePayment(app, { orderId: input.orderId, reason: 'PAYMENT_FAILED' }, correlationId);
    await Promise.all(attempts);
    // Whatever landed is given back: a charge after the void is refunded by the attempt that made it.
    await compensatePayment(app, { orderId: input.orderId, reason: 'PAYMENT_FAILED' }, correlationId);
    const charges = await processorCharges(input.orderId);
    expect(charges.length).toBeLessThanOrEqual(1);
    for (const c of charges) expect(c.amount_refunded).toBe(input.amount.amount);
    expect(await reconcile(pool, processor.url, [input.orderId])).toEqual([]);
  });
});

describe('a charge that lands after the compensation voided the payment, with no attempt left to see it', () => {
  it('the schedule finds it at the processor, books it and refunds it', async () => {
    const app = freshApp();
    const input = order();
    processor.faults.latencyMs = TIMEOUT_MS * 2;
    expect(await failure(processPayment(app, input, correlationId))).toBeInstanceOf(PaymentProcessorUnavailable);
    processor.faults.latencyMs = 0;
    const real = app.processor;
    // When the compensation asked, the processor did not list the charge yet (it was still on its way).
    const notYet = {
      ...app,
      processor: {
        charge: (r: Parameters<typeof real.charge>[0]) => real.charge(r),
        refund: (r: Parameters<typeof real.refund>[0]) => real.refund(r),
        chargesForOrder: async () => [],
      },
    };
    expect(
      (await compensatePayment(notYet, { orderId: input.orderId, reason: 'PAYMENT_FAILED' }, correlationId)).refunded,
    ).toBeNull();
    expect(await app.payments.findByOrder(input.orderId)).toMatchObject({ status: 'voided' });
    expect(await reconcile(pool, processor.url, [input.orderId])).toHaveLength(1);
    await settleVoidedPayments(app, new Date(0));
    expect((await ledger(input.orderId)).map((e) => e.kind)).toEqual(['charge', 'refund']);
    expect((await processorCharges(input.orderId))[0]!.amount_refunded).toBe(input.amount.amount);
    expect(await reconcile(pool, processor.url, [input.orderId])).toEqual([]);
    // Run again: nothing more is booked or refunded.
    await settleVoidedPayments(app, new Date(0));
    expect((await ledger(input.orderId)).map((e) => e.kind)).toEqual(['charge', 'refund']);
  });
});

describe('concurrency', () => {
  it('20 concurrent ProcessPayment calls for one order make one charge', async () => {
    const app = freshApp();
    const input = order();
    processor.faults.latencyMs = 30;
    const results = await Promise.all(Array.from({ length: 20 }, () => processPayment(app, input, correlationId)));
    expect(new Set(results.map((r) => r.paymentId)).size).toBe(1);
    expect(await processorCharges(input.orderId)).toHaveLength(1);
    expect((await ledger(input.orderId)).filter((e) => e.kind === 'charge')).toHaveLength(1);
    expect(await outboxTypes(results[0]!.paymentId)).toEqual(['payment.initiated', 'payment.completed']);
  });

  it('20 concurrent partial refunds that would exceed the capture never over-refund', async () => {
    const app = freshApp();
    const input = order('pm_card_visa', 1000);
    const { paymentId } = await processPayment(app, input, correlationId);
    processor.faults.latencyMs = 20;
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        refundPayment(
          app,
          paymentId,
          { idempotencyKey: `refund-key-${i}`, amount: 70, reason: 'goodwill', requestedBy: 'usr_admin' },
          correlationId,
        ),
      ),
    );
    const ok = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
    expect(ok).toHaveLength(14);
    for (const error of refused) expect(error).toBeInstanceOf(RefundExceedsCaptured);
    const payment = (await app.payments.findById(paymentId))!;
    expect(payment).toMatchObject({ refundedAmount: 980, refundReserved: 0 });
    expect((await processorCharges(input.orderId))[0]!.amount_refunded).toBe(980);
    // The compensation gives back only what is left.
    const comp = await compensatePayment(app, { orderId: input.orderId, reason: 'CONFIRMATION_FAILED' }, correlationId);
    expect(comp.refunded).toEqual({ amount: 20, currency: 'USD' });
    expect(
      (await compensatePayment(app, { orderId: input.orderId, reason: 'CONFIRMATION_FAILED' }, correlationId)).refunded,
    ).toEqual({
      amount: 20,
      currency: 'USD',
    });
    expect((await app.payments.findById(paymentId))!.refundedAmount).toBe(1000);
    expect(await reconcile(pool, processor.url, [input.orderId])).toEqual([]);
  });

  it('the same Idempotency-Key, sent 10 times at once, refunds once; with another amount it is refused', async () => {
    const app = freshApp();
    const input = order('pm_card_visa', 500);
    const { paymentId } = await processPayment(app, input, correlationId);
    const command = { idempotencyKey: 'same-key-123', amount: 100, reason: 'duplicate click', requestedBy: 'usr_admin' };
    const results = await Promise.all(Array.from({ length: 10 }, () => refundPayment(app, paymentId, command, correlationId)));
    expect(new Set(results.map((r) => r.refund.id)).size).toBe(1);
    expect((await app.payments.findById(paymentId))!.refundedAmount).toBe(100);
    expect(await failure(refundPayment(app, paymentId, { ...command, amount: 200 }, correlationId))).toBeInstanceOf(
      IdempotencyMismatch,
    );
    expect((await ledger(input.orderId)).map((e) => e.kind)).toEqual(['charge', 'refund']);
  });
});

describe('a refund the processor could not answer', () => {
  it('keeps its hold; the same key resumes it, and the schedule resumes the ones nobody retried', async () => {
    const app = freshApp();
    const input = order('pm_card_visa', 900);
    const { paymentId } = await processPayment(app, input, correlationId);
    processor.faults.failNext = 100;
    const first = { idempotencyKey: 'held-refund-1', amount: 300, reason: 'late delivery', requestedBy: 'usr_admin' };
    const second = { ...first, idempotencyKey: 'held-refund-2' };
    for (const command of [first, second])
      expect(await failure(refundPayment(app, paymentId, command, correlationId))).toBeInstanceOf(PaymentProcessorUnavailable);
    expect(await app.payments.findById(paymentId)).toMatchObject({ refundReserved: 600, refundedAmount: 0 });
    // The held amount counts: only 300 is left to ask for.
    expect(
      await failure(refundPayment(app, paymentId, { ...first, idempotencyKey: 'held-refund-3', amount: 301 }, correlationId)),
    ).toBeInstanceOf(RefundExceedsCaptured);
    processor.faults.failNext = 0;
    expect((await refundPayment(app, paymentId, first, correlationId)).refund.status).toBe('succeeded');
    expect(await resumePendingRefunds(app, new Date(Date.now() + 60_000))).toEqual({
      completed: 1,
      stillPending: 0,
      rejected: 0,
    });
    expect(await app.payments.findById(paymentId)).toMatchObject({ refundReserved: 0, refundedAmount: 600 });
    expect((await ledger(input.orderId)).map((e) => e.kind)).toEqual(['charge', 'refund', 'refund']);
    expect(await reconcile(pool, processor.url, [input.orderId])).toEqual([]);
  });
});

describe('the database holds the invariants even against wrong code', () => {
  it('refuses a second charge for an order, any change to the ledger, and refunds above the capture', async () => {
    const app = freshApp();
    const input = order();
    const { paymentId } = await processPayment(app, input, correlationId);
    await expect(
      pool.query(
        `INSERT INTO payment_transactions (id, payment_id, order_id, kind, amount, currency, created_at)
         VALUES ($1, $2, $3, 'charge', 1, 'USD', now())`,
        [newId('txn'), paymentId, input.orderId],
      ),
    ).rejects.toMatchObject({ code: '23505', constraint: 'payment_transactions_one_charge_per_order' });
    await expect(pool.query('UPDATE payment_transactions SET amount = 1 WHERE order_id = $1', [input.orderId])).rejects.toThrow(
      /append-only/,
    );
    await expect(pool.query('DELETE FROM payment_transactions WHERE order_id = $1', [input.orderId])).rejects.toThrow(
      /append-only/,
    );
    await expect(pool.query('UPDATE payments SET refunded_amount = amount + 1 WHERE id = $1', [paymentId])).rejects.toMatchObject(
      { constraint: 'payments_refunds_within_capture' },
    );
  });
});

describe('circuit breaker', () => {
  it('opens after repeated failures, fails fast, half-opens, re-opens on a failed trial and closes once the processor is back', async () => {
    const app = freshApp({ timeoutMs: 5_000, maxRetries: 0, breaker: { consecutiveFailures: 3, halfOpenAfterMs: 200 } });
    const states: number[] = [];
    const stopGauge = onGauge((name, value) => name === 'PaymentProcessorBreakerState' && states.push(value));
    const warn = vi.spyOn(logger, 'warn');
    const info = vi.spyOn(logger, 'info');
    try {
      processor.faults.down = true;
      for (let i = 0; i < 3; i++) {
        const error = await failure(processPayment(app, order(), correlationId));
        expect(error).toBeInstanceOf(PaymentProcessorUnavailable);
        expect(String(error.details?.cause)).toMatch(/connection failed/);
      }
      expect(app.breaker.state()).toBe('open');
      expect(warn).toHaveBeenCalledWith('circuit breaker opened', expect.objectContaining({ dependency: 'PaymentProcessor' }));

      const reached = processor.stats.requests;
      const fast = await failure(processPayment(app, order(), correlationId));
      expect(fast.details).toEqual({ cause: 'circuit_open' });
      expect(processor.stats.requests).toBe(reached);

      await new Promise((resolve) => setTimeout(resolve, 250));
      expect((await failure(processPayment(app, order(), correlationId))).details?.cause).toMatch(/connection failed/);
      expect(app.breaker.state()).toBe('open');

      processor.faults.down = false;
      processor.faults.latencyMs = 50;
      await new Promise((resolve) => setTimeout(resolve, 250));
      const trial = processPayment(app, order(), correlationId);
      await vi.waitFor(() => expect(app.breaker.state()).toBe('half-open'));
      expect((await trial).status).toBe('captured');
      expect(app.breaker.state()).toBe('closed');
      expect(info).toHaveBeenCalledWith('circuit breaker closed', expect.objectContaining({ dependency: 'PaymentProcessor' }));
      expect(states).toEqual([1, 2, 1, 2, 0]);
      expect((await processPayment(app, order(), correlationId)).status).toBe('captured');
    } finally {
      stopGauge();
      warn.mockRestore();
      info.mockRestore();
    }
  });
});

describe('reads and admin refunds', () => {
  const owner = (userId: string): Principal => ({ userId, role: 'customer' });
  const admin: Principal = { userId: 'usr_admin', role: 'admin' };

  it('the owner and admins see a payment; anyone else gets 404', async () => {
    const app = freshApp();
    const input = order();
    const { paymentId } = await processPayment(app, input, correlationId);
    expect(await getPayment(app, owner(input.userId), paymentId)).toMatchObject({
      id: paymentId,
      status: 'captured',
      card: { brand: 'visa', last4: '4242' },
      refunds: [],
    });
    expect((await getOrderPayment(app, admin, input.orderId)).id).toBe(paymentId);
    await expect(getPayment(app, owner(newId('usr')), paymentId)).rejects.toBeInstanceOf(NotFound);
    await expect(getOrderPayment(app, owner(newId('usr')), input.orderId)).rejects.toBeInstanceOf(NotFound);
    await expect(getPayment(app, admin, 'pay_nope')).rejects.toBeInstanceOf(NotFound);
  });

  it('lists newest first, filtered by user and status, across pages', async () => {
    const app = freshApp();
    const userId = newId('usr');
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await processPayment(app, { ...order(), userId }, correlationId)).paymentId);
    await refundPayment(
      app,
      made[0]!,
      { idempotencyKey: 'list-refund-1', reason: 'all of it', requestedBy: 'usr_admin' },
      correlationId,
    );
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listPayments(app, { userId, limit: 2, cursor });
      seen.push(...page.items.map((p) => p.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual([...made].reverse());
    const refunded = await listPayments(app, { userId, status: 'refunded', limit: 10 });
    expect(refunded.items.map((p) => p.id)).toEqual([made[0]]);
    expect((await listPayments(app, { userId, status: 'captured', limit: 10 })).items).toHaveLength(4);
    const third = (await app.payments.findById(made[2]!))!;
    const since = await listPayments(app, { userId, createdFrom: third.createdAt, limit: 10 });
    expect(since.items.map((p) => p.id)).toEqual([made[4], made[3], made[2]]);
  });
});

describe('routes', () => {
  const event = (
    method: string,
    resource: string,
    pathParameters: Record<string, string>,
    principal: Principal,
    extra: Partial<APIGatewayProxyEvent> = {},
  ): APIGatewayProxyEvent =>
    ({
      httpMethod: method,
      resource,
      path: resource,
      pathParameters,
      queryStringParameters: null,
      headers: {},
      body: null,
      isBase64Encoded: false,
      requestContext: { requestId: newId('req'), authorizer: principal, identity: { sourceIp: '127.0.0.1' } },
      ...extra,
    }) as unknown as APIGatewayProxyEvent;
  const context = { awsRequestId: 'local', functionName: 'payments' } as Context;

  it('a customer refunding gets 403; an admin refunds with an Idempotency-Key; another user reading gets 404', async () => {
    process.env.PAYMENT_PROCESSOR_URL = processor.url;
    const input = order();
    const { paymentId } = await processPayment(freshApp(), input, correlationId);
    const refund = (await import('./handlers/refund.ts')).handler;
    const body = JSON.stringify({ amount: 500, reason: 'scratched' });
    const headers = { 'content-type': 'application/json', 'Idempotency-Key': 'route-refund-0001' };
    const asCustomer = await refund(
      event('POST', '/payments/{id}/refund', { id: paymentId }, { userId: input.userId, role: 'customer' }, { body, headers }),
      context,
    );
    expect(asCustomer.statusCode).toBe(403);
    const noKey = await refund(
      event(
        'POST',
        '/payments/{id}/refund',
        { id: paymentId },
        { userId: 'usr_admin', role: 'admin' },
        { body, headers: { 'content-type': 'application/json' } },
      ),
      context,
    );
    expect(noKey.statusCode).toBe(400);
    const asAdmin = await refund(
      event('POST', '/payments/{id}/refund', { id: paymentId }, { userId: 'usr_admin', role: 'admin' }, { body, headers }),
      context,
    );
    expect(asAdmin.statusCode).toBe(200);
    expect(JSON.parse(asAdmin.body)).toMatchObject({ payment: { status: 'partially_refunded', refunded: { amount: 500 } } });

    const get = (await import('./handlers/get-payment.ts')).handler;
    const stranger = await get(
      event('GET', '/payments/{id}', { id: paymentId }, { userId: newId('usr'), role: 'customer' }),
      context,
    );
    expect(stranger.statusCode).toBe(404);
    const mine = await get(
      event('GET', '/payments/{id}', { id: paymentId }, { userId: input.userId, role: 'customer' }),
      context,
    );
    expect(JSON.parse(mine.body)).toMatchObject({ id: paymentId, refunds: [{ amount: { amount: 500 } }] });
  });
});

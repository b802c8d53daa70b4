import { describe, expect, it } from 'vitest';
import { MockPaymentProcessor, type ProcessorRequest } from './processor.ts';

const charge = (key: string, body: Record<string, unknown> = {}): ProcessorRequest => ({
  method: 'POST',
  path: '/v1/charges',
  query: {},
  idempotencyKey: key,
  body: { amount: 1000, currency: 'usd', payment_method: 'pm_card_visa', metadata: { order_id: 'ord_1' }, ...body },
});
const refund = (key: string, chargeId: string, amount?: number): ProcessorRequest => ({
  method: 'POST',
  path: '/v1/refunds',
  query: {},
  idempotencyKey: key,
  body: { charge: chargeId, amount },
});

describe('the mock processor', () => {
  it('answers the first result to the same key and parameters, concurrently too; other parameters are an error', async () => {
    const processor = new MockPaymentProcessor();
    const answers = await Promise.all(Array.from({ length: 5 }, () => processor.handle(charge('k1'))));
    expect(new Set(answers.map((a) => (a.body as { id: string }).id)).size).toBe(1);
    expect(processor.ledger()).toHaveLength(1);
    const reused = await processor.handle(charge('k1', { amount: 2000 }));
    expect(reused).toMatchObject({ status: 400, body: { error: { type: 'idempotency_error' } } });
    expect(await processor.handle({ ...charge('x'), idempotencyKey: undefined })).toMatchObject({ status: 400 });
  });

  it('chooses outcomes by test payment method', async () => {
    const processor = new MockPaymentProcessor({ slowMs: 1234 });
    expect(await processor.handle(charge('a', { payment_method: 'pm_card_chargeDeclinedInsufficientFunds' }))).toMatchObject({
      status: 402,
      body: { error: { code: 'card_declined', decline_code: 'insufficient_funds' } },
    });
    expect((await processor.handle(charge('b', { payment_method: 'pm_card_processorOutage' }))).status).toBe(503);
    expect((await processor.handle(charge('c', { payment_method: 'pm_card_nope' }))).status).toBe(400);
    expect(await processor.handle(charge('d', { payment_method: 'pm_card_slowerThanTimeout' }))).toMatchObject({
      status: 200,
      delayMs: 1234,
    });
    const transient = charge('e', { payment_method: 'pm_card_transientErrorThenSucceeds' });
    expect((await processor.handle(transient)).status).toBe(503);
    expect((await processor.handle(transient)).status).toBe(200);
    expect(processor.ledger().filter((c) => c.status === 'succeeded')).toHaveLength(2);
  });

  it('refunds at most what was captured and not yet refunded', async () => {
    const processor = new MockPaymentProcessor();
    const { id } = (await processor.handle(charge('k'))).body as { id: string };
    expect((await processor.handle(refund('r1', id, 600))).status).toBe(200);
    expect(await processor.handle(refund('r2', id, 600))).toMatchObject({
      status: 400,
      body: { error: { code: 'amount_too_large' } },
    });
    expect((await processor.handle(refund('r1', id, 600))).status).toBe(200);
    expect((await processor.handle(refund('r3', id))).body).toMatchObject({ amount: 400 });
    expect(processor.ledger()[0]).toMatchObject({ amount_refunded: 1000, refunded: true });
  });
});

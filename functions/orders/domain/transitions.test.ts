import { describe, expect, it } from 'vitest';
import { IllegalTransition, OrderCancelled } from './errors.ts';
import { ORDER_STATUSES, type OrderStatus } from './order.ts';
import { decide, type OrderCommand } from './transitions.ts';

const order = (status: OrderStatus, extra: { cancelRequestedAt?: string | null; sagaStartedAt?: string | null } = {}) => ({
  id: 'ord_x',
  status,
  cancelRequestedAt: null,
  sagaStartedAt: '2026-12-01T00:00:00.000Z',
  ...extra,
});
const kind = (status: OrderStatus, command: OrderCommand, extra = {}) => {
  const d = decide(order(status, extra), command);
  return d.kind === 'refused' ? d.error.name : d.kind === 'change' ? `-> ${d.status}` : 'unchanged';
};

describe('decide: the one rule book of order statuses', () => {
  it('walks the forward path one step at a time, and a repeated or late step changes nothing', () => {
    expect(kind('PENDING', { type: 'RecordInventoryReserved' })).toBe('-> INVENTORY_RESERVED');
    expect(kind('INVENTORY_RESERVED', { type: 'RecordPaymentCompleted', paymentId: 'pay_1' })).toBe('-> PAYMENT_COMPLETED');
    expect(kind('PAYMENT_COMPLETED', { type: 'Confirm' })).toBe('-> CONFIRMED');
    expect(decide(order('INVENTORY_RESERVED'), { type: 'RecordPaymentCompleted', paymentId: 'pay_1' })).toMatchObject({
      reason: 'PAYMENT_CAPTURED',
      paymentId: 'pay_1',
    });
    for (const s of ['INVENTORY_RESERVED', 'PAYMENT_COMPLETED', 'CONFIRMED'] as const)
      expect(kind(s, { type: 'RecordInventoryReserved' })).toBe('unchanged');
    expect(kind('CONFIRMED', { type: 'Confirm' })).toBe('unchanged');
  });

  it('refuses skipping a step and anything forward on a NEEDS_ATTENTION order with IllegalTransition', () => {
    expect(kind('PENDING', { type: 'RecordPaymentCompleted', paymentId: 'p' })).toBe('IllegalTransition');
    expect(kind('PENDING', { type: 'Confirm' })).toBe('IllegalTransition');
    expect(kind('INVENTORY_RESERVED', { type: 'Confirm' })).toBe('IllegalTransition');
    expect(kind('NEEDS_ATTENTION', { type: 'Confirm' })).toBe('IllegalTransition');
    expect(kind('NEEDS_ATTENTION', { type: 'RequestCancel' })).toBe('IllegalTransition');
    expect(kind('CANCELLED', { type: 'MarkNeedsAttention', error: 'x' })).toBe('IllegalTransition');
  });

  it('a cancelled order refuses every forward step with OrderCancelled, which the saga compensates on', () => {
    for (const command of [
      { type: 'RecordInventoryReserved' },
      { type: 'RecordPaymentCompleted', paymentId: 'p' },
      { type: 'Confirm' },
    ] as OrderCommand[])
      expect(kind('CANCELLED', command)).toBe('OrderCancelled');
  });

  it('a cancel request before the saga started ends the order at once', () => {
    const d = decide(order('PENDING', { sagaStartedAt: null }), { type: 'RequestCancel' });
    expect(d).toMatchObject({ kind: 'change', status: 'CANCELLED', reason: 'CUSTOMER_CANCELLED' });
  });

  it('a cancel request while the saga runs marks intent; the next forward task then refuses with OrderCancelled', () => {
    for (const s of ['PENDING', 'INVENTORY_RESERVED', 'PAYMENT_COMPLETED'] as const) {
      const d = decide(order(s), { type: 'RequestCancel' });
      expect(d).toMatchObject({ kind: 'change', status: s, cancelRequested: true });
      expect(d).not.toHaveProperty('startCompensation');
    }
    const intent = { cancelRequestedAt: '2026-12-01T00:00:01.000Z' };
    expect(kind('PENDING', { type: 'RecordInventoryReserved' }, intent)).toBe('OrderCancelled');
    expect(kind('INVENTORY_RESERVED', { type: 'RecordPaymentCompleted', paymentId: 'p' }, intent)).toBe('OrderCancelled');
    const confirm = decide(order('PAYMENT_COMPLETED', intent), { type: 'Confirm' });
    expect(confirm.kind === 'refused' && confirm.error).toBeInstanceOf(OrderCancelled);
  });

  it('a cancel request after CONFIRMED keeps it CONFIRMED until the compensation it starts cancels it', () => {
    expect(decide(order('CONFIRMED'), { type: 'RequestCancel' })).toMatchObject({
      kind: 'change',
      status: 'CONFIRMED',
      cancelRequested: true,
      startCompensation: true,
    });
    expect(
      decide(order('CONFIRMED', { cancelRequestedAt: 'x' }), { type: 'Cancel', reason: 'CONFIRMATION_FAILED' }),
    ).toMatchObject({
      status: 'CANCELLED',
      reason: 'CUSTOMER_CANCELLED',
    });
  });

  it('cancel and needs-attention are idempotent; a second cancel request is a repeat', () => {
    expect(kind('CANCELLED', { type: 'Cancel', reason: 'PAYMENT_DECLINED' })).toBe('unchanged');
    expect(kind('CANCELLED', { type: 'RequestCancel' })).toBe('unchanged');
    expect(kind('PAYMENT_COMPLETED', { type: 'RequestCancel' }, { cancelRequestedAt: 'x' })).toBe('unchanged');
    expect(kind('NEEDS_ATTENTION', { type: 'MarkNeedsAttention', error: 'x' })).toBe('unchanged');
    expect(decide(order('INVENTORY_RESERVED'), { type: 'Cancel', reason: 'PAYMENT_DECLINED' })).toMatchObject({
      status: 'CANCELLED',
      reason: 'PAYMENT_DECLINED',
    });
  });

  it('answers every status and command without throwing: refusals are values of one of two error types', () => {
    const commands: OrderCommand[] = [
      { type: 'RecordInventoryReserved' },
      { type: 'RecordPaymentCompleted', paymentId: 'p' },
      { type: 'Confirm' },
      { type: 'Cancel', reason: 'PAYMENT_FAILED' },
      { type: 'RequestCancel' },
      { type: 'MarkNeedsAttention', error: 'e' },
    ];
    for (const status of ORDER_STATUSES)
      for (const started of [null, 'x'])
        for (const intent of [null, 'x'])
          for (const command of commands) {
            const d = decide(order(status, { sagaStartedAt: started, cancelRequestedAt: intent }), command);
            if (d.kind === 'refused') expect([IllegalTransition, OrderCancelled].some((t) => d.error instanceof t)).toBe(true);
            // Nothing ever leaves CANCELLED.
            if (status === 'CANCELLED') expect(d.kind).not.toBe('change');
          }
  });
});

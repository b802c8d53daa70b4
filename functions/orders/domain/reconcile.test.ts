import { describe, expect, it } from 'vitest';
import { decideReconciliation, MAX_RECONCILE_ATTEMPTS } from './reconcile.ts';

const inFlight = { status: 'PAYMENT_COMPLETED' as const, cancelRequestedAt: null };

describe('decideReconciliation', () => {
  it('leaves running executions and settled orders alone', () => {
    expect(decideReconciliation(inFlight, 'RUNNING', 'NOT_FOUND', 0).kind).toBe('wait');
    expect(decideReconciliation(inFlight, 'FAILED', 'RUNNING', 0).kind).toBe('wait');
    expect(decideReconciliation({ status: 'CONFIRMED', cancelRequestedAt: null }, 'NOT_FOUND', 'NOT_FOUND', 0).kind).toBe('wait');
    expect(decideReconciliation({ status: 'CANCELLED', cancelRequestedAt: null }, 'FAILED', 'NOT_FOUND', 0).kind).toBe('wait');
  });

  it('restarts a forward execution that is gone (an offline restart), idempotent tasks make it safe', () => {
    expect(decideReconciliation(inFlight, 'NOT_FOUND', 'NOT_FOUND', 0)).toEqual({ kind: 'restart' });
  });

  it('compensates a failed, timed out, aborted or oddly succeeded execution, and a cancel whose saga is gone', () => {
    for (const s of ['FAILED', 'TIMED_OUT', 'ABORTED', 'SUCCEEDED'] as const)
      expect(decideReconciliation(inFlight, s, 'NOT_FOUND', 0)).toEqual({ kind: 'compensate', reason: 'SAGA_FAILED' });
    expect(decideReconciliation({ ...inFlight, cancelRequestedAt: 'x' }, 'NOT_FOUND', 'NOT_FOUND', 0)).toEqual({
      kind: 'compensate',
      reason: 'CUSTOMER_CANCELLED',
    });
  });

  it('a cancel after confirmation is compensated even while the forward execution still commits stock', () => {
    expect(decideReconciliation({ status: 'CONFIRMED', cancelRequestedAt: 'x' }, 'RUNNING', 'NOT_FOUND', 0).kind).toBe(
      'compensate',
    );
  });

  it('gives up to a person when the compensation ended without settling, or after too many attempts', () => {
    expect(decideReconciliation(inFlight, 'FAILED', 'FAILED', 0).kind).toBe('needs-attention');
    expect(decideReconciliation(inFlight, 'NOT_FOUND', 'NOT_FOUND', MAX_RECONCILE_ATTEMPTS).kind).toBe('needs-attention');
  });
});

/**
 * The processor's test payment methods: the outcome of a charge is chosen by the token, as with Stripe's test cards.
 * Stripe's own names where Stripe has one; the transport failures are named in the same style.
 */
export type CardOutcome =
  | { kind: 'succeeds' }
  | { kind: 'declined'; declineCode: 'generic_decline' | 'insufficient_funds' | 'expired_card' }
  /** The first attempt under an idempotency key answers 503 (nothing charged); a retry with the same key succeeds. */
  | { kind: 'transient-then-succeeds' }
  /** The charge lands at once, the answer comes only after the processor's slow delay (longer than our timeout). */
  | { kind: 'slow' }
  /** Every attempt answers 503; nothing is ever charged. */
  | { kind: 'outage' };

export interface TestCard {
  brand: string;
  last4: string;
  outcome: CardOutcome;
}

export const testCards: Record<string, TestCard> = {
  pm_card_visa: { brand: 'visa', last4: '4242', outcome: { kind: 'succeeds' } },
  pm_card_mastercard: { brand: 'mastercard', last4: '4444', outcome: { kind: 'succeeds' } },
  pm_card_amex: { brand: 'amex', last4: '8431', outcome: { kind: 'succeeds' } },
  pm_card_chargeDeclined: { brand: 'visa', last4: '0002', outcome: { kind: 'declined', declineCode: 'generic_decline' } },
  pm_card_chargeDeclinedInsufficientFunds: {
    brand: 'visa',
    last4: '9995',
    outcome: { kind: 'declined', declineCode: 'insufficient_funds' },
  },
  pm_card_chargeDeclinedExpiredCard: { brand: 'visa', last4: '0069', outcome: { kind: 'declined', declineCode: 'expired_card' } },
  pm_card_transientErrorThenSucceeds: { brand: 'visa', last4: '1881', outcome: { kind: 'transient-then-succeeds' } },
  pm_card_slowerThanTimeout: { brand: 'visa', last4: '3220', outcome: { kind: 'slow' } },
  pm_card_processorOutage: { brand: 'visa', last4: '0341', outcome: { kind: 'outage' } },
};

import { Conflict, DependencyFailed, Unprocessable } from '../../../shared/errors.ts';

/** Why the processor refused a charge (contract: `details.reason` of PaymentDeclined). */
export type DeclineReason = 'card_declined' | 'insufficient_funds' | 'expired_card' | 'invalid_payment_method' | 'payment_voided';

/** A business refusal: the saga's Catch matches the name and never retries it. */
export class PaymentDeclined extends Unprocessable {
  constructor(reason: DeclineReason) {
    // The reason is in the message too: in AWS a Catch sees only the name and the message (the saga's Choice reads it).
    super('PAYMENT_DECLINED', `The payment was declined: ${reason}`, { reason });
  }
}

/** Timeout, 5xx, connection error or an open breaker: nothing is known to be wrong with the payment; retry later. */
export class PaymentProcessorUnavailable extends DependencyFailed {
  constructor(cause: string) {
    super('The payment processor is unavailable; retry later', { cause });
  }
}

/**
 * More than captured minus refunded (and minus refunds in flight) was asked back. A 409: the same request succeeds or
 * not depending on the payment's current state; `details.reason` says which rule.
 */
export class RefundExceedsCaptured extends Conflict {
  constructor(requested: number, refundable: number) {
    super(`At most ${refundable} can be refunded`, { reason: 'REFUND_EXCEEDS_CAPTURED', requested, refundable });
  }
}

/** Only a captured payment can be refunded (409, like the rule above). */
export class PaymentNotCaptured extends Conflict {
  constructor(status: string) {
    super(`A ${status} payment cannot be refunded`, { reason: 'PAYMENT_NOT_CAPTURED', status });
  }
}

/** The processor refused the refund (our books and its ledger disagree, which the reconciler reports). */
export class RefundRejected extends Unprocessable {
  constructor(reason: string) {
    super('REFUND_REJECTED', 'The processor refused the refund', { reason });
  }
}

/** An idempotency key (or an order id) reused with other parameters. */
export class IdempotencyMismatch extends Conflict {}

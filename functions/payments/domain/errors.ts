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

/** More than captured minus refunded (and minus refunds in flight) was asked back. */
export class RefundExceedsCaptured extends Unprocessable {
  constructor(requested: number, refundable: number) {
    super('REFUND_EXCEEDS_CAPTURED', `At most ${refundable} can be refunded`, { requested, refundable });
  }
}

/** Only a captured payment can be refunded. */
export class PaymentNotCaptured extends Unprocessable {
  constructor(status: string) {
    super('PAYMENT_NOT_CAPTURED', `A ${status} payment cannot be refunded`, { status });
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

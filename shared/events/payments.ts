import * as z from 'zod';
import { Money } from '../money.ts';
import { text } from '../text.ts';
import { registerEvents } from './registry.ts';

/** Events the payments service publishes (source `shop.payments`). Consumers dedupe on the envelope id. */
const Id = z.string().min(1).max(100);

export const PaymentInitiated = z.object({ paymentId: Id, orderId: Id, userId: Id, amount: Money });
export const PaymentCompleted = z.object({
  paymentId: Id,
  orderId: Id,
  userId: Id,
  amount: Money,
  brand: text({ min: 1, max: 40 }),
  last4: z.string().regex(/^[0-9]{4}$/),
});
export const PaymentFailed = z.object({
  paymentId: Id,
  orderId: Id,
  userId: Id,
  amount: Money,
  /** Decline reason code, e.g. card_declined, insufficient_funds. */
  reason: text({ min: 1, max: 60 }),
});
export const PaymentRefunded = z.object({
  paymentId: Id,
  refundId: Id,
  orderId: Id,
  userId: Id,
  amount: Money,
  /** Everything refunded on this payment so far, this refund included. */
  refundedTotal: Money,
});

export const paymentEvents = {
  'payment.initiated': PaymentInitiated,
  'payment.completed': PaymentCompleted,
  'payment.failed': PaymentFailed,
  'payment.refunded': PaymentRefunded,
} as const;

registerEvents('payments', paymentEvents);

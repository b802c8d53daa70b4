import * as z from 'zod';
import { text } from '../../../shared/text.ts';

// Saga task inputs (order saga contract). Not strict: the state machine may pass the whole execution state along.
const OrderId = z.string().regex(/^ord_[0-9a-hjkmnp-tv-z]{26}$/, 'an order id');

export const OrderTask = z.object({ orderId: OrderId });
export const PaymentCompletedTask = z.object({ orderId: OrderId, paymentId: text({ min: 1, max: 100 }) });
export const CancelTask = z.object({
  orderId: OrderId,
  reason: z.string().regex(/^[A-Z][A-Z_]{1,49}$/, 'a reason code'),
  /** The compensation so far; `refund` is RefundPayment's answer when it ran (refunded: null when nothing went back). */
  cancel: z
    .object({
      refund: z
        .object({ refunded: z.object({ amount: z.number().int() }).loose().nullable() })
        .loose()
        .optional(),
    })
    .loose()
    .optional(),
});
/** `error` is whatever the state machine caught: a string or Step Functions' `{ Error, Cause }`. */
export const NeedsAttentionTask = z.object({
  orderId: OrderId,
  error: z.union([z.string(), z.object({ Error: z.string().optional(), Cause: z.string().optional() }).loose()]),
});

/** The reply of every orders task: the order's status after it. */
export const taskResult = (order: { id: string; status: string }) => ({ orderId: order.id, status: order.status });

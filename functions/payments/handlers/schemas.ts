import * as z from 'zod';
import { Money } from '../../../shared/money.ts';
import { text } from '../../../shared/text.ts';

/** Any string up to the length limit: an id that is not a payment's is a 404, not a 400. */
const AnyId = text({ min: 1, max: 200 });
export const PaymentPath = z.object({ id: AnyId }).strict();
export const OrderPath = z.object({ orderId: AnyId }).strict();
export const NoQuery = z.object({}).strict();

export const paymentStatuses = ['pending', 'captured', 'partially_refunded', 'refunded', 'failed', 'voided'] as const;

export const ListQuery = z
  .object({
    status: z.enum(paymentStatuses).optional(),
    userId: text({ min: 1, max: 100 }).optional(),
    orderId: text({ min: 1, max: 100 }).optional(),
    createdFrom: z.string().datetime().optional(),
    createdTo: z.string().datetime().optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: text({ min: 1, max: 500 }).optional(),
  })
  .strict();

export const RefundRequestBody = z
  .object({
    /** Minor units; absent: everything still refundable. */
    amount: z.number().int().positive().max(1_000_000_000_00).optional(),
    reason: text({ min: 1, max: 200, trim: true }),
  })
  .strict();

/** Other headers pass through untouched; only the key is checked. */
export const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[A-Za-z0-9._:-]{8,128}$/, '8 to 128 letters, digits or . _ : -')
    .meta({ description: 'A fresh key per refund; the same key again answers the same refund' }),
});

const Card = z.object({ brand: text({ min: 1, max: 40 }), last4: z.string().regex(/^[0-9]{4}$/) });

export const PaymentBody = z.object({
  id: z.string(),
  orderId: z.string(),
  userId: z.string(),
  amount: Money,
  status: z.enum(paymentStatuses),
  refunded: Money,
  /** What the processor told us about the card: brand and last 4 digits, nothing else. */
  card: Card.nullable(),
  failureReason: z.string().nullable(),
  createdAt: z.string().datetime(),
  updatedAt: z.string().datetime(),
});
export const RefundBody = z.object({
  id: z.string(),
  amount: Money,
  status: z.enum(['pending', 'succeeded', 'failed']),
  reason: z.string(),
  failureReason: z.string().nullable(),
  createdAt: z.string().datetime(),
});
export const PaymentDetailBody = PaymentBody.extend({ refunds: z.array(RefundBody) });
export const PaymentPageBody = z.object({ items: z.array(PaymentBody), nextCursor: z.string().nullable() });
export const RefundResultBody = z.object({ payment: PaymentBody, refund: RefundBody });

export const examplePayment = {
  id: 'pay_01k9z8x7w6v5t4s3r2q1p0n9m8',
  orderId: 'ord_01k9z8x7w6v5t4s3r2q1p0n9m7',
  userId: 'usr_01k9z8x7w6v5t4s3r2q1p0n9m6',
  amount: { amount: 2598, currency: 'USD' },
  status: 'partially_refunded',
  refunded: { amount: 1000, currency: 'USD' },
  card: { brand: 'visa', last4: '4242' },
  failureReason: null,
  createdAt: '2026-01-15T09:30:00.000Z',
  updatedAt: '2026-01-15T10:00:00.000Z',
} as const;
export const exampleRefund = {
  id: 'ref_01k9z8x7w6v5t4s3r2q1p0n9m5',
  amount: { amount: 1000, currency: 'USD' },
  status: 'succeeded',
  reason: 'Damaged in transit',
  failureReason: null,
  createdAt: '2026-01-15T10:00:00.000Z',
} as const;

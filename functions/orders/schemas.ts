import * as z from 'zod';
import { idPattern } from '../../shared/ids.ts';
import { Money } from '../../shared/money.ts';
import { text } from '../../shared/text.ts';
import { ORDER_STATUSES } from './domain/order.ts';
import { MAX_LINES, MAX_UNITS_PER_LINE, MAX_UNITS_PER_ORDER } from './domain/placement.ts';

// Request shapes are strict: a field the client may not set (price, name, status, userId) is a 400, never ignored.
const OrderItem = z
  .object({
    productId: text({ min: 1, max: 100 }),
    // The upper limit is stated here for the spec and enforced by the domain, which answers 422 naming the line.
    quantity: z
      .number()
      .int()
      .min(1)
      .meta({ maximum: MAX_UNITS_PER_LINE, description: `Units of the product, 1 to ${MAX_UNITS_PER_LINE}` }),
  })
  .strict();

export const PlaceOrderBody = z
  .object({
    items: z
      .array(OrderItem)
      .min(1)
      .max(MAX_LINES)
      .meta({
        description: `1 to ${MAX_LINES} lines, one per product, at most ${MAX_UNITS_PER_ORDER} units in all. Prices and names come from the catalog.`,
      }),
    paymentMethod: z
      .string()
      .regex(/^pm_[A-Za-z0-9_]{1,100}$/, 'a payment method token such as pm_card_visa')
      .meta({ description: 'A payment-method token from the payment processor (never card numbers)' }),
  })
  .strict();

export const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[A-Za-z0-9._:-]{8,128}$/, '8 to 128 letters, digits or . _ : -')
    .meta({ description: 'Required. Retrying with the same key and body returns the same order.' }),
});

export const OrderPath = z.object({ id: text({ min: 1, max: 100 }) }).strict();
export const UserOrdersPath = z.object({ userId: z.string().regex(idPattern, 'a user id') }).strict();
export const UserOrdersQuery = z
  .object({
    cursor: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,400}$/)
      .optional(),
    // The bounds in the pattern, so the OpenAPI document states them (a pipe's min/max would not show there).
    limit: z
      .string()
      .regex(/^(100|[1-9][0-9]?)$/, '1 to 100')
      .transform(Number)
      .prefault('20'),
  })
  .strict();
export const NoQuery = z.object({}).strict();

const Status = z.enum(ORDER_STATUSES);
const Line = z.object({
  productId: z.string(),
  name: z.string(),
  quantity: z.number().int(),
  unitPrice: Money,
  lineTotal: Money,
});
const HistoryEntry = z.object({
  status: Status,
  reason: z.string().nullable(),
  at: z.string().datetime(),
  by: z.enum(['customer', 'saga', 'reconciler']),
});

export const OrderView = z.object({
  id: z.string(),
  userId: z.string(),
  status: Status,
  cancelReason: z.string().nullable(),
  cancelRequestedAt: z.string().datetime().nullable(),
  lines: z.array(Line),
  total: Money,
  // No paymentMethod: a client's payment-method token is never echoed back (payments shows brand and last 4).
  paymentId: z.string().nullable(),
  createdAt: z.string().datetime(),
  updatedAt: z.string().datetime(),
  history: z.array(HistoryEntry),
});
export type OrderView = z.infer<typeof OrderView>;

export const OrderPage = z.object({
  items: z.array(
    z.object({
      id: z.string(),
      status: Status,
      total: Money,
      lineCount: z.number().int(),
      units: z.number().int(),
      createdAt: z.string().datetime(),
      updatedAt: z.string().datetime(),
    }),
  ),
  nextCursor: z.string().nullable(),
});

export const exampleOrder: OrderView = {
  id: 'ord_01kbq3m5x8c2v9r4t6w8y0z2a4',
  userId: 'usr_01kbq3k2p4r6t8v0x2z4b6d8f0',
  status: 'PENDING',
  cancelReason: null,
  cancelRequestedAt: null,
  lines: [
    {
      productId: 'prd_01kbq30a2c4e6g8j0m2p4r6t8v',
      name: 'Chef knife',
      quantity: 2,
      unitPrice: { amount: 1299, currency: 'USD' },
      lineTotal: { amount: 2598, currency: 'USD' },
    },
  ],
  total: { amount: 2598, currency: 'USD' },
  paymentId: null,
  createdAt: '2026-12-01T12:00:00.000Z',
  updatedAt: '2026-12-01T12:00:00.000Z',
  history: [{ status: 'PENDING', reason: 'ORDER_PLACED', at: '2026-12-01T12:00:00.000Z', by: 'customer' }],
};

/** What a client sees of an order: no saga bookkeeping (start time, reconciler attempts, correlation id). */
export function viewOf(order: OrderView): OrderView {
  return OrderView.parse(order);
}

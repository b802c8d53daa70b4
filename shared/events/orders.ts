import * as z from 'zod';
import { Money } from '../money.ts';
import { text } from '../text.ts';
import { registerEvents } from './registry.ts';

/** Events the orders service publishes (source `shop.orders`); the shapes are fixed by the order saga contract. */
const OrderLine = z.object({
  productId: z.string().min(1),
  name: text({ min: 1, max: 200, name: true }),
  quantity: z.number().int().positive(),
  unitPrice: Money,
});

export const OrderCreated = z.object({
  orderId: z.string().min(1),
  userId: z.string().min(1),
  lines: z.array(OrderLine).min(1),
  total: Money,
  createdAt: z.string().datetime(),
});
export type OrderCreated = z.infer<typeof OrderCreated>;

export const OrderConfirmed = z.object({
  orderId: z.string().min(1),
  userId: z.string().min(1),
  total: Money,
  confirmedAt: z.string().datetime(),
});
export type OrderConfirmed = z.infer<typeof OrderConfirmed>;

export const OrderCancelled = z.object({
  orderId: z.string().min(1),
  userId: z.string().min(1),
  /** A reason code such as INSUFFICIENT_STOCK, PAYMENT_DECLINED, CUSTOMER_CANCELLED. */
  reason: z.string().regex(/^[A-Z][A-Z_]{1,49}$/),
  cancelledAt: z.string().datetime(),
  /** True when the order had been paid and the saga refunded it. */
  refunded: z.boolean().optional(),
});
export type OrderCancelled = z.infer<typeof OrderCancelled>;

export const orderEvents = {
  'order.created': OrderCreated,
  'order.confirmed': OrderConfirmed,
  'order.cancelled': OrderCancelled,
} as const;

registerEvents('orders', orderEvents);

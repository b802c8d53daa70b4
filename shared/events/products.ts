import * as z from 'zod';
import { Money } from '../money.ts';
import { text } from '../text.ts';
import { registerEvents } from './registry.ts';

/** Events the products service publishes (source `shop.products`). Consumers dedupe on the envelope id. */
const Id = text({ min: 1, max: 100 });
const Name = text({ min: 1, max: 200, name: true });
const Category = text({ min: 1, max: 50 });
const Tag = text({ min: 1, max: 40, name: true });
const StockLine = z.object({ productId: Id, quantity: z.number().int().positive() });

export const ProductCreated = z.object({
  productId: Id,
  name: Name,
  category: Category,
  tags: z.array(Tag),
  price: Money,
});
export const ProductUpdated = z.object({
  productId: Id,
  version: z.number().int().positive(),
  changed: z.array(text({ min: 1, max: 40 })).min(1),
  name: Name,
  category: Category,
  price: Money,
});
export const ProductDeleted = z.object({ productId: Id, deletedAt: z.string().datetime() });
export const StockReserved = z.object({
  orderId: Id,
  lines: z.array(StockLine).min(1),
  expiresAt: z.string().datetime(),
});
export const StockReleased = z.object({
  orderId: Id,
  lines: z.array(StockLine).min(1),
  reason: z.enum(['cancelled', 'expired']),
});
export const StockLow = z.object({
  productId: Id,
  available: z.number().int().nonnegative(),
  threshold: z.number().int().nonnegative(),
});
export const StockDepleted = z.object({ productId: Id });

export const productEvents = {
  'product.created': ProductCreated,
  'product.updated': ProductUpdated,
  'product.deleted': ProductDeleted,
  'product.stock.reserved': StockReserved,
  'product.stock.released': StockReleased,
  'product.stock.low': StockLow,
  'product.stock.depleted': StockDepleted,
} as const;

registerEvents('products', productEvents);

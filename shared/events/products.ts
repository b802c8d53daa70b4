import { z } from 'zod';
import { Money } from '../money.ts';
import { registerEvents } from './registry.ts';

/** Events the products service publishes (source `shop.products`). Consumers dedupe on the envelope id. */
const StockLine = z.object({ productId: z.string().min(1), quantity: z.number().int().positive() });

export const ProductCreated = z.object({
  productId: z.string().min(1),
  name: z.string(),
  category: z.string(),
  tags: z.array(z.string()),
  price: Money,
});
export const ProductUpdated = z.object({
  productId: z.string().min(1),
  version: z.number().int().positive(),
  changed: z.array(z.string()).min(1),
  name: z.string(),
  category: z.string(),
  price: Money,
});
export const ProductDeleted = z.object({ productId: z.string().min(1), deletedAt: z.string().datetime() });
export const StockReserved = z.object({
  orderId: z.string().min(1),
  lines: z.array(StockLine).min(1),
  expiresAt: z.string().datetime(),
});
export const StockReleased = z.object({
  orderId: z.string().min(1),
  lines: z.array(StockLine).min(1),
  reason: z.enum(['cancelled', 'expired']),
});
export const StockLow = z.object({
  productId: z.string().min(1),
  available: z.number().int().nonnegative(),
  threshold: z.number().int().nonnegative(),
});
export const StockDepleted = z.object({ productId: z.string().min(1) });

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

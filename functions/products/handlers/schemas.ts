import * as z from 'zod';
import { text } from '../../../shared/text.ts';

/** Path of every `/products/{id}` route. Any text is accepted here: an id that is not a product id is a 404, not a 400. */
export const ProductPath = z.object({ id: text({ min: 1, max: 200 }) }).strict();
export const NoQuery = z.object({}).strict();

/** A product as the API shows it (domain/product.ts `Product`). */
export const ProductBody = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  category: z.string(),
  tags: z.array(z.string()),
  price: z.object({ amount: z.number().int().nonnegative(), currency: z.string() }),
  available: z.number().int().nonnegative().describe('Units on sale, mirrored from the stock (eventually consistent)'),
  inStock: z.boolean(),
  deleted: z.boolean(),
  deletedAt: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  version: z.number().int().positive(),
});
export const exampleProduct = {
  id: 'prd_01k9z8x7w6v5t4s3r2q1p0n9m8',
  name: 'Chef’s knife, 20 cm',
  description: 'Forged stainless steel, full tang.',
  category: 'home-kitchen',
  tags: ['knife', 'steel'],
  price: { amount: 4999, currency: 'EUR' },
  available: 12,
  inStock: true,
  deleted: false,
  deletedAt: null,
  createdAt: '2026-01-15T09:30:00.000Z',
  updatedAt: '2026-01-15T09:30:00.000Z',
  version: 1,
} as const;

export const ProductPage = z.object({
  items: z.array(ProductBody),
  nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
});

/** Stock of a product (domain/inventory.ts `InventoryView`). */
export const InventoryBody = z.object({
  productId: z.string(),
  available: z.number().int().nonnegative(),
  reserved: z.number().int().nonnegative(),
  onHand: z.number().int().nonnegative(),
  lowStockThreshold: z.number().int().nonnegative(),
  updatedAt: z.iso.datetime().nullable(),
});
export const exampleInventory = {
  productId: 'prd_01k9z8x7w6v5t4s3r2q1p0n9m8',
  available: 12,
  reserved: 2,
  onHand: 14,
  lowStockThreshold: 5,
  updatedAt: '2026-01-15T09:30:00.000Z',
} as const;

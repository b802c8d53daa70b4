import * as z from 'zod';
import { pageLimit } from '../../../shared/http/paging.ts';
import { Currency } from '../../../shared/money.ts';
import { text } from '../../../shared/text.ts';
import { sorts } from './cursor.ts';

/** A catalog entry as the API shows it. Prices are integer cents; times ISO-8601 UTC. */
export interface Product {
  id: string;
  name: string;
  description: string;
  category: string;
  tags: string[];
  price: { amount: number; currency: string };
  /** Units on sale, mirrored from the stock table (eventually consistent; the stock table is the truth). */
  available: number;
  inStock: boolean;
  deleted: boolean;
  deletedAt: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export const productIdPattern = /^prd_[0-9a-hjkmnp-tv-z]{26}$/;
export const isProductId = (id: string): boolean => productIdPattern.test(id);

/** Anything whose key starts with `$` or contains a `.` is an operator smuggled into a document: refused. */
export function operatorKeys(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => operatorKeys(v, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [
    ...(k.startsWith('$') || k.includes('.') ? [`${path}${path ? '.' : ''}${k}`] : []),
    ...operatorKeys(v, `${path}${path ? '.' : ''}${k}`),
  ]);
}

// A preprocess, not a pipe from unknown: the OpenAPI document then shows the object schema, not `{}`.
function withoutOperators<S extends z.ZodType>(schema: S) {
  return z.preprocess((value, ctx) => {
    for (const key of operatorKeys(value))
      ctx.addIssue({ code: 'custom', message: `Operator-like key ${key} is not allowed`, path: [key], input: value });
    return value;
  }, schema);
}

const Name = text({ min: 1, max: 200, name: true, trim: true });
const Description = text({ max: 5000, multiline: true, trim: true });
export const Category = text({ max: 50 }).regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'lower-case slug, e.g. home-kitchen');
const Tags = z.array(text({ min: 1, max: 40, name: true, trim: true })).max(20);
const Price = z.object({ amount: z.number().int().nonnegative().max(100_000_000), currency: Currency }).strict();

export const NewProduct = withoutOperators(
  z
    .object({ name: Name, description: Description.default(''), category: Category, tags: Tags.default([]), price: Price })
    .strict()
    .meta({
      examples: [
        {
          name: 'Chef’s knife, 20 cm',
          description: 'Forged stainless steel, full tang.',
          category: 'home-kitchen',
          tags: ['knife', 'steel'],
          price: { amount: 4999, currency: 'EUR' },
        },
      ],
    }),
);
export type NewProduct = z.infer<typeof NewProduct>;

const patchable = ['name', 'description', 'category', 'tags', 'price'] as const;

export const ProductPatch = withoutOperators(
  z
    .object({
      name: Name.optional(),
      description: Description.optional(),
      category: Category.optional(),
      tags: Tags.optional(),
      price: Price.optional(),
      /** Optimistic concurrency: refuse the change if someone else changed the product since this version. */
      expectedVersion: z.number().int().positive().optional(),
    })
    .strict()
    .refine((p) => Object.keys(p).some((k) => k !== 'expectedVersion'), 'Nothing to change')
    .meta({
      anyOf: patchable.map((field) => ({ required: [field] })),
      examples: [{ price: { amount: 4499, currency: 'EUR' }, expectedVersion: 1 }],
    }),
);
export type ProductPatch = z.infer<typeof ProductPatch>;

const Cents = z
  .string()
  .regex(/^\d{1,9}$/, 'a whole number of cents')
  .transform(Number);

/** Query string of GET /products. `.strict()` turns `price[$ne]=0` and any other unknown key into a 400. */
export const SearchQuery = z
  .object({
    q: text({ max: 200 }).optional(),
    category: Category.optional(),
    minPrice: Cents.optional(),
    maxPrice: Cents.optional(),
    inStock: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional(),
    sort: z.enum(sorts).default('newest'),
    // Worst issued cursor: a 200-char name JSON-escaped at 6 bytes a char (control characters, lone surrogates), base64url: 1,675.
    cursor: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,1700}$/)
      .optional(),
    limit: pageLimit,
  })
  .strict()
  .refine((q) => q.minPrice === undefined || q.maxPrice === undefined || q.minPrice <= q.maxPrice, {
    message: 'minPrice must not exceed maxPrice',
    path: ['minPrice'],
  })
  .describe('minPrice must not exceed maxPrice');
export type SearchQuery = z.infer<typeof SearchQuery>;

export function newProduct(id: string, input: NewProduct, now: string): Product {
  return {
    id,
    name: input.name,
    description: input.description,
    category: input.category,
    tags: [...new Set(input.tags)],
    price: { ...input.price },
    available: 0,
    inStock: false,
    deleted: false,
    deletedAt: null,
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
}

/** The product after a patch and the fields that really changed (none: nothing to write, no event). */
export function applyPatch(product: Product, patch: ProductPatch, now: string): { product: Product; changed: string[] } {
  const next: Product = { ...product };
  const changed: string[] = [];
  for (const field of patchable) {
    const value = field === 'tags' && patch.tags ? [...new Set(patch.tags)] : patch[field];
    if (value === undefined || JSON.stringify(value) === JSON.stringify(product[field])) continue;
    Object.assign(next, { [field]: value });
    changed.push(field);
  }
  if (!changed.length) return { product, changed };
  return { product: { ...next, updatedAt: now, version: product.version + 1 }, changed };
}

export function markDeleted(product: Product, now: string): Product {
  return { ...product, deleted: true, deletedAt: now, updatedAt: now, version: product.version + 1 };
}

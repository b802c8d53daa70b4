import { createHash } from 'node:crypto';
import type { Product } from '../domain/product.ts';

/** A realistic, deterministic catalog for the demo seed and benchmarks: same index, same product, every run. */
const catalog: Record<string, { nouns: string[]; tags: string[]; price: [number, number] }> = {
  'home-kitchen': {
    nouns: ['Chef Knife', 'Cast Iron Skillet', 'Espresso Grinder', 'Cutting Board', 'Stock Pot', 'Tea Kettle', 'Mixing Bowl'],
    tags: ['kitchen', 'cooking', 'home'],
    price: [900, 24900],
  },
  electronics: {
    nouns: [
      'Wireless Earbuds',
      'USB-C Charger',
      'Bluetooth Speaker',
      'Mechanical Keyboard',
      'Webcam',
      'Smart Plug',
      'Power Bank',
    ],
    tags: ['tech', 'gadgets'],
    price: [1500, 39900],
  },
  outdoors: {
    nouns: ['Trail Backpack', 'Tent', 'Sleeping Bag', 'Headlamp', 'Water Filter', 'Camping Stove', 'Hiking Poles'],
    tags: ['camping', 'hiking', 'outdoor'],
    price: [1200, 49900],
  },
  apparel: {
    nouns: ['Merino T-Shirt', 'Rain Jacket', 'Wool Socks', 'Denim Jeans', 'Fleece Hoodie', 'Beanie', 'Running Shorts'],
    tags: ['clothing', 'fashion'],
    price: [800, 19900],
  },
  books: {
    nouns: ['Cookbook', 'Field Guide', 'Novel', 'Atlas', 'Poetry Collection', 'Travel Guide', 'Sketchbook'],
    tags: ['reading', 'paper'],
    price: [600, 5900],
  },
  'toys-games': {
    nouns: ['Puzzle', 'Board Game', 'Building Blocks', 'Card Game', 'Kite', 'Yo-Yo', 'Plush Bear'],
    tags: ['kids', 'family', 'games'],
    price: [500, 8900],
  },
};
const adjectives = [
  'Classic',
  'Compact',
  'Deluxe',
  'Eco',
  'Ultralight',
  'Rustic',
  'Pro',
  'Everyday',
  'Vintage',
  'Crème',
  'Nordic',
  'Café',
];
const materials = ['bamboo', 'stainless steel', 'recycled cotton', 'walnut', 'aluminium', 'organic wool', 'ceramic', 'canvas'];
export const categories = Object.keys(catalog);

const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';
/** A stable product id for generated item `n` of a `set`, in the format `newId('prd')` produces. */
export function generatedId(set: string, n: number): string {
  const digest = createHash('sha256').update(`${set}:${n}`).digest();
  let id = '';
  for (let i = 0; i < 26; i++) id += alphabet[digest[i]! % 32];
  return `prd_${id}`;
}

export interface GeneratedProduct {
  product: Product;
  onHand: number;
}

export function generateProduct(set: string, n: number, now = Date.UTC(2026, 0, 1)): GeneratedProduct {
  const h = createHash('sha256').update(`${set}:${n}:fields`).digest();
  const category = categories[n % categories.length]!;
  const spec = catalog[category]!;
  const noun = spec.nouns[h[0]! % spec.nouns.length]!;
  const adjective = adjectives[h[1]! % adjectives.length]!;
  const material = materials[h[2]! % materials.length]!;
  const [low, high] = spec.price;
  const amount = Math.round((low + (h.readUInt16BE(3) / 65535) * (high - low)) / 100) * 100 - 1;
  const at = new Date(now + n * 60_000).toISOString();
  return {
    product: {
      id: generatedId(set, n),
      name: `${adjective} ${noun} ${n + 1}`,
      description: `A ${adjective.toLowerCase()} ${noun.toLowerCase()} made of ${material}. Model ${String(n).padStart(5, '0')}.`,
      category,
      tags: [spec.tags[h[5]! % spec.tags.length]!, material.split(' ').at(-1)!],
      price: { amount: Math.max(99, amount), currency: 'USD' },
      available: 0,
      inStock: false,
      deleted: false,
      deletedAt: null,
      createdAt: at,
      updatedAt: at,
      version: 1,
    },
    onHand: h[6]! % 10 === 0 ? 0 : h[7]! % 60,
  };
}

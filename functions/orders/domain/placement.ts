import { createHash } from 'node:crypto';
import type { Money } from '../../../shared/money.ts';
import { LineRefused } from './errors.ts';
import type { OrderLine } from './order.ts';

/** Limits of one order, stated in the request schema (and so in the OpenAPI document). */
export const MAX_LINES = 20;
export const MAX_UNITS_PER_LINE = 10;
export const MAX_UNITS_PER_ORDER = 50;

export interface RequestedLine {
  productId: string;
  quantity: number;
}

export interface PlaceOrderRequest {
  items: RequestedLine[];
  paymentMethod: string;
}

/** What the orders service knows of a product, from the products service's events. */
export interface PricedProduct {
  productId: string;
  name: string;
  price: Money;
  deleted: boolean;
}

/**
 * Prices the requested lines from the read model: never from the client. Refuses (422) the first line that is unknown,
 * withdrawn, over the per-line limit, or in another currency than the first line, naming it by index and product.
 */
export function priceLines(items: RequestedLine[], products: Map<string, PricedProduct>): { lines: OrderLine[]; total: Money } {
  const lines: OrderLine[] = [];
  function refuse(index: number, code: string, message: string, extra: Record<string, unknown> = {}): never {
    throw new LineRefused(code, `Line ${index}: ${message}`, { line: index, productId: items[index]?.productId, ...extra });
  }
  const seen = new Set<string>();
  let units = 0;
  items.forEach((item, index) => {
    if (seen.has(item.productId)) refuse(index, 'DUPLICATE_LINE', 'the product is already on an earlier line');
    seen.add(item.productId);
    if (!Number.isInteger(item.quantity) || item.quantity < 1 || item.quantity > MAX_UNITS_PER_LINE)
      refuse(index, 'QUANTITY_OUT_OF_RANGE', `quantity must be 1 to ${MAX_UNITS_PER_LINE}`, { max: MAX_UNITS_PER_LINE });
    units += item.quantity;
    const product = products.get(item.productId);
    if (!product) refuse(index, 'UNKNOWN_PRODUCT', `no product ${item.productId}`);
    if (product.deleted) refuse(index, 'PRODUCT_WITHDRAWN', `product ${item.productId} is no longer sold`);
    const currency = lines[0]?.unitPrice.currency ?? product.price.currency;
    if (product.price.currency !== currency)
      refuse(index, 'MIXED_CURRENCY', `priced in ${product.price.currency}, the order is in ${currency}`);
    lines.push({
      productId: product.productId,
      name: product.name,
      quantity: item.quantity,
      unitPrice: { ...product.price },
      lineTotal: { amount: product.price.amount * item.quantity, currency },
    });
  });
  if (units > MAX_UNITS_PER_ORDER)
    throw new LineRefused('ORDER_TOO_LARGE', `An order holds at most ${MAX_UNITS_PER_ORDER} units, this one ${units}`, {
      units,
      max: MAX_UNITS_PER_ORDER,
    });
  const currency = lines[0]?.unitPrice.currency ?? 'USD';
  const amount = lines.reduce((sum, l) => sum + l.lineTotal.amount, 0);
  // ProcessPayment charges a positive amount only: a free order would be placed and then cancelled as PAYMENT_FAILED.
  if (amount === 0) throw new LineRefused('NOTHING_TO_PAY', 'The order totals 0; free products cannot be ordered alone');
  return { lines, total: { amount, currency } };
}

/** The request as the idempotency check compares it: the same items in the same order and the same payment method. */
export function fingerprintOf(request: PlaceOrderRequest): string {
  const canonical = JSON.stringify({
    items: request.items.map((i) => [i.productId, i.quantity]),
    paymentMethod: request.paymentMethod,
  });
  return createHash('sha256').update(canonical).digest('hex');
}

/** What an earlier use of the same Idempotency-Key means for this request. */
export type KeyDecision = { kind: 'new' } | { kind: 'replay'; orderId: string } | { kind: 'mismatch' };

export function decideKey(earlier: { fingerprint: string; orderId: string } | undefined, fingerprint: string): KeyDecision {
  if (!earlier) return { kind: 'new' };
  return earlier.fingerprint === fingerprint ? { kind: 'replay', orderId: earlier.orderId } : { kind: 'mismatch' };
}

import { describe, expect, it } from 'vitest';
import { LineRefused } from './errors.ts';
import { decideKey, fingerprintOf, MAX_UNITS_PER_LINE, type PricedProduct, priceLines } from './placement.ts';

const product = (id: string, amount: number, currency = 'USD', deleted = false): PricedProduct => ({
  productId: id,
  name: `Product ${id}`,
  price: { amount, currency },
  deleted,
});
const book = new Map(
  [product('a', 1299), product('b', 500), product('gone', 100, 'USD', true), product('eur', 700, 'EUR')].map((p) => [
    p.productId,
    p,
  ]),
);
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(LineRefused);
    return { code: (error as LineRefused).code, details: (error as LineRefused).details };
  }
  throw new Error('expected a refusal');
};

describe('priceLines', () => {
  it('prices from the catalog in integer minor units, one currency, never from the request', () => {
    const { lines, total } = priceLines(
      [
        { productId: 'a', quantity: 2 },
        { productId: 'b', quantity: 3 },
      ],
      book,
    );
    expect(lines.map((l) => [l.name, l.unitPrice.amount, l.lineTotal.amount])).toEqual([
      ['Product a', 1299, 2598],
      ['Product b', 500, 1500],
    ]);
    expect(total).toEqual({ amount: 4098, currency: 'USD' });
    expect(Number.isInteger(total.amount)).toBe(true);
  });

  it('refuses the first bad line by index and product: unknown, withdrawn, out of range, other currency, repeated', () => {
    const ok = { productId: 'a', quantity: 1 };
    expect(refusal(() => priceLines([ok, { productId: 'nope', quantity: 1 }], book))).toEqual({
      code: 'UNKNOWN_PRODUCT',
      details: { line: 1, productId: 'nope' },
    });
    expect(refusal(() => priceLines([{ productId: 'gone', quantity: 1 }], book)).code).toBe('PRODUCT_WITHDRAWN');
    expect(refusal(() => priceLines([ok, { productId: 'b', quantity: MAX_UNITS_PER_LINE + 1 }], book))).toMatchObject({
      code: 'QUANTITY_OUT_OF_RANGE',
      details: { line: 1, productId: 'b' },
    });
    expect(refusal(() => priceLines([ok, { productId: 'eur', quantity: 1 }], book))).toMatchObject({
      code: 'MIXED_CURRENCY',
      details: { line: 1 },
    });
    expect(refusal(() => priceLines([ok, ok], book))).toMatchObject({ code: 'DUPLICATE_LINE', details: { line: 1 } });
  });

  it('refuses an order over the units limit as a whole', () => {
    const many = new Map(Array.from({ length: 6 }, (_, i) => [`p${i}`, product(`p${i}`, 1)]));
    const items = [...many.keys()].map((productId) => ({ productId, quantity: 10 }));
    expect(refusal(() => priceLines(items, many)).code).toBe('ORDER_TOO_LARGE');
  });
});

describe('an order with nothing to pay', () => {
  it('is refused at placement (the payment step charges only a positive amount, so the saga would cancel it as PAYMENT_FAILED)', () => {
    const free = new Map([['free', product('free', 0)]]);
    expect(refusal(() => priceLines([{ productId: 'free', quantity: 2 }], free)).code).toBe('NOTHING_TO_PAY');
    expect(priceLines([{ productId: 'a', quantity: 1 }], book).total).toEqual({ amount: 1299, currency: 'USD' });
  });
});

describe('idempotency decisions', () => {
  const body = { items: [{ productId: 'a', quantity: 1 }], paymentMethod: 'pm_card_visa' };

  it('a fingerprint depends on items, quantities, their order and the payment method', () => {
    expect(fingerprintOf(body)).toBe(fingerprintOf(structuredClone(body)));
    expect(fingerprintOf({ ...body, paymentMethod: 'pm_card_other' })).not.toBe(fingerprintOf(body));
    expect(fingerprintOf({ ...body, items: [{ productId: 'a', quantity: 2 }] })).not.toBe(fingerprintOf(body));
  });

  it('new key → new order; same body → the earlier order; another body → mismatch', () => {
    const fp = fingerprintOf(body);
    expect(decideKey(undefined, fp)).toEqual({ kind: 'new' });
    expect(decideKey({ fingerprint: fp, orderId: 'ord_1' }, fp)).toEqual({ kind: 'replay', orderId: 'ord_1' });
    expect(decideKey({ fingerprint: 'other', orderId: 'ord_1' }, fp)).toEqual({ kind: 'mismatch' });
  });
});

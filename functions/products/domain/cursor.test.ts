import { describe, expect, it } from 'vitest';
import { BadRequest } from '../../../shared/errors.ts';
import { decodeProductCursor, encodeProductCursor } from './cursor.ts';

// Decoding itself (base64url JSON, malformed is a 400) is tested in shared/cursor.test.ts; this is the sort-specific part.
describe('product cursor', () => {
  it('round-trips a name and a price cursor', () => {
    const cursor = { sort: 'name' as const, value: 'zürich / café?', id: 'prd_01' };
    expect(decodeProductCursor(encodeProductCursor(cursor), 'name')).toEqual(cursor);
    const price = encodeProductCursor({ sort: 'price_desc', value: 1999, id: 'x' });
    expect(decodeProductCursor(price, 'price_desc').value).toBe(1999);
  });

  it('rejects garbage, foreign shapes, wrong value types and another sort order', () => {
    expect(() => decodeProductCursor('not-a-cursor', 'newest')).toThrow(BadRequest);
    const raw = (value: string) => Buffer.from(value).toString('base64url');
    expect(() => decodeProductCursor(raw('{"s":"newest","v":{"$gt":""},"i":"a"}'), 'newest')).toThrow(BadRequest);
    expect(() => decodeProductCursor(raw('{"s":"price_asc","v":"10","i":"a"}'), 'price_asc')).toThrow(BadRequest);
    expect(() => decodeProductCursor(encodeProductCursor({ sort: 'newest', value: '2026', id: 'a' }), 'name')).toThrow(
      /another sort/,
    );
  });
});

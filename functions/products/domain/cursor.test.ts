import { describe, expect, it } from 'vitest';
import { BadRequest } from '../../../shared/errors.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';

describe('cursor', () => {
  it('round-trips and is URL safe', () => {
    const cursor = { sort: 'name' as const, value: 'zürich / café?', id: 'prd_01' };
    const raw = encodeCursor(cursor);
    expect(raw).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(raw, 'name')).toEqual(cursor);
    expect(decodeCursor(encodeCursor({ sort: 'price_desc', value: 1999, id: 'x' }), 'price_desc').value).toBe(1999);
  });

  it('rejects garbage, foreign shapes, wrong value types and another sort order', () => {
    expect(() => decodeCursor('not-a-cursor', 'newest')).toThrow(BadRequest);
    expect(() => decodeCursor(Buffer.from('{"s":"newest","v":{"$gt":""},"i":"a"}').toString('base64url'), 'newest')).toThrow(
      BadRequest,
    );
    expect(() => decodeCursor(Buffer.from('{"s":"price_asc","v":"10","i":"a"}').toString('base64url'), 'price_asc')).toThrow(
      BadRequest,
    );
    expect(() => decodeCursor(encodeCursor({ sort: 'newest', value: '2026', id: 'a' }), 'name')).toThrow(/another sort/);
  });
});

import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { cursorId, decodeCursor, encodeCursor } from './cursor.ts';
import { BadRequest } from './errors.ts';

const NewestFirst = z.object({ createdAt: z.iso.datetime(), id: cursorId }).strict();
const raw = (value: string) => Buffer.from(value).toString('base64url');

describe('cursor', () => {
  it('round-trips the last item of a page and is URL safe', () => {
    const cursor = { createdAt: '2026-01-15T09:30:00.000Z', id: 'pay_01k9z8x7w6v5t4s3r2q1p0n9m8' };
    const encoded = encodeCursor(cursor);
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(encoded, NewestFirst)).toEqual(cursor);
    expect(encodeCursor({ s: 'name', v: 'zürich / café?', i: 'prd_01' })).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it.each([
    'not-base64-json',
    raw('[]'),
    raw('{"createdAt":"yesterday","id":"pay_1"}'),
    raw('{"createdAt":"2026-01-15T09:30:00.000Z","id":""}'),
    raw('{"createdAt":"2026-01-15T09:30:00.000Z","id":{"$gt":""}}'),
    raw('{"createdAt":"2026-01-15T09:30:00.000Z","id":"pay_1","x":1}'),
  ])('refuses %s with a 400 MALFORMED_CURSOR', (encoded) => {
    expect(() => decodeCursor(encoded, NewestFirst)).toThrow(BadRequest);
    expect(() => decodeCursor(encoded, NewestFirst)).toThrow(
      expect.objectContaining({ details: { reason: 'MALFORMED_CURSOR' } }),
    );
  });
});

import { describe, expect, it } from 'vitest';
import { BadRequest } from '../../../shared/errors.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';

describe('payments cursor', () => {
  it('round-trips the last item of a page', () => {
    const cursor = { createdAt: '2026-01-15T09:30:00.000Z', id: 'pay_01k9z8x7w6v5t4s3r2q1p0n9m8' };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
  });

  it.each([
    'not-base64-json',
    Buffer.from('{"t":"yesterday","i":"pay_1"}').toString('base64url'),
    Buffer.from('{"t":"2026-01-15T09:30:00.000Z","i":"pay_1","x":1}').toString('base64url'),
  ])('refuses %s with a 400 MALFORMED_CURSOR', (raw) => {
    expect(() => decodeCursor(raw)).toThrow(BadRequest);
  });
});

import * as z from 'zod';
import { BadRequest } from './errors.ts';

/** Keyset pagination: a cursor is where a page ended (the last item's sort value and id, the tie-break) as base64url JSON. */
export function encodeCursor(position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** Opaque to clients; anything that does not decode to the list's cursor shape is a 400 MALFORMED_CURSOR. */
export function decodeCursor<T>(raw: string, shape: z.ZodType<T>): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw new BadRequest('Invalid cursor', { reason: 'MALFORMED_CURSOR' });
  }
  const result = shape.safeParse(parsed);
  if (!result.success) throw new BadRequest('Invalid cursor', { reason: 'MALFORMED_CURSOR' });
  return result.data;
}

/** The id a cursor carries as its tie-break. */
export const cursorId = z.string().min(1).max(100);

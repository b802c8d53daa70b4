import * as z from 'zod';
import { BadRequest } from '../../../shared/errors.ts';

/** Where a page of history ended: the last item's time of occurrence and its id (the tie-break). */
export interface Cursor {
  occurredAt: string;
  id: string;
}

const Encoded = z.object({ o: z.string().datetime(), i: z.string().min(1).max(100) }).strict();

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify({ o: cursor.occurredAt, i: cursor.id })).toString('base64url');
}

/** Opaque to clients; anything that does not decode to a cursor is a 400. */
export function decodeCursor(raw: string): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw new BadRequest('Invalid cursor', { reason: 'MALFORMED_CURSOR' });
  }
  const result = Encoded.safeParse(parsed);
  if (!result.success) throw new BadRequest('Invalid cursor', { reason: 'MALFORMED_CURSOR' });
  return { occurredAt: result.data.o, id: result.data.i };
}

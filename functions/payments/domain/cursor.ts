import * as z from 'zod';
import { BadRequest } from '../../../shared/errors.ts';

/** Where a page of payments ended (newest first): the last item's creation time and id (the tie-break). */
export interface Cursor {
  createdAt: string;
  id: string;
}

const Encoded = z.object({ t: z.string().datetime(), i: z.string().min(1).max(100) }).strict();

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify({ t: cursor.createdAt, i: cursor.id })).toString('base64url');
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
  return { createdAt: result.data.t, id: result.data.i };
}

import * as z from 'zod';
import { BadRequest } from '../../../shared/errors.ts';

export const sorts = ['newest', 'price_asc', 'price_desc', 'name'] as const;
export type Sort = (typeof sorts)[number];

/** Where a page ended: the sort it belongs to, the last item's sort value and its id (the tie-break). */
export interface Cursor {
  sort: Sort;
  value: string | number;
  id: string;
}

const Encoded = z
  .object({ s: z.enum(sorts), v: z.union([z.string().max(300), z.number().int()]), i: z.string().min(1).max(100) })
  .strict();

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify({ s: cursor.sort, v: cursor.value, i: cursor.id })).toString('base64url');
}

/** Opaque to clients; anything that does not decode to a cursor of the requested sort is a 400. */
export function decodeCursor(raw: string, sort: Sort): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw new BadRequest('Invalid cursor', { reason: 'MALFORMED_CURSOR' });
  }
  const result = Encoded.safeParse(parsed);
  if (!result.success) throw new BadRequest('Invalid cursor', { reason: 'MALFORMED_CURSOR' });
  if (result.data.s !== sort)
    throw new BadRequest('The cursor belongs to another sort order', { reason: 'CURSOR_SORT_MISMATCH' });
  const numeric = sort === 'price_asc' || sort === 'price_desc';
  if (numeric !== (typeof result.data.v === 'number')) throw new BadRequest('Invalid cursor', { reason: 'MALFORMED_CURSOR' });
  return { sort, value: result.data.v, id: result.data.i };
}

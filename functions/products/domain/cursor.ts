import * as z from 'zod';
import { cursorId, decodeCursor, encodeCursor } from '../../../shared/cursor.ts';
import { BadRequest } from '../../../shared/errors.ts';

export const sorts = ['newest', 'price_asc', 'price_desc', 'name'] as const;
export type Sort = (typeof sorts)[number];

/** Where a page ended: the sort it belongs to, the last item's sort value and its id (the tie-break). */
export interface Cursor {
  sort: Sort;
  value: string | number;
  id: string;
}

// Short keys: a name cursor carries up to 200 JSON-escaped characters and the query caps its length (product.ts).
const Encoded = z.object({ s: z.enum(sorts), v: z.union([z.string().max(300), z.number().int()]), i: cursorId }).strict();

export function encodeProductCursor(cursor: Cursor): string {
  return encodeCursor({ s: cursor.sort, v: cursor.value, i: cursor.id });
}

/** A cursor of another sort order, or whose value is not that sort's type, is a 400 like a malformed one. */
export function decodeProductCursor(raw: string, sort: Sort): Cursor {
  const { s, v, i } = decodeCursor(raw, Encoded);
  if (s !== sort) throw new BadRequest('The cursor belongs to another sort order', { reason: 'CURSOR_SORT_MISMATCH' });
  const numeric = sort === 'price_asc' || sort === 'price_desc';
  if (numeric !== (typeof v === 'number')) throw new BadRequest('Invalid cursor', { reason: 'MALFORMED_CURSOR' });
  return { sort, value: v, id: i };
}

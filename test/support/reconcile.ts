import type { Queryable } from '../../shared/db/postgres.ts';

/**
 * Reconciles our payments ledger with the payment processor's ledger, order by order: the same charges (by the
 * processor's charge id, at most one per order), the same amount captured and the same amount refunded. Payment and
 * saga tests call it after they ran; an empty answer means the books agree.
 *
 *   expect(await reconcile(pool, processorUrl)).toEqual([]);
 */
export interface Books {
  /** Processor charge ids of successful charges. */
  charges: string[];
  captured: number;
  refunded: number;
}
export interface Discrepancy {
  orderId: string;
  ours: Books;
  processor: Books;
}

interface ProcessorCharge {
  id: string;
  amount: number;
  status: 'succeeded' | 'failed';
  amount_refunded: number;
  metadata: { order_id?: string };
}

const empty = (): Books => ({ charges: [], captured: 0, refunded: 0 });

/** `orderIds` limits the comparison to those orders (a processor shared with other tests holds theirs too). */
export async function reconcile(db: Queryable, processorUrl: string, orderIds?: string[]): Promise<Discrepancy[]> {
  const ours = new Map<string, Books>();
  const { rows } = await db.query<{ order_id: string; kind: string; amount: number; processor_ref: string | null }>(
    `SELECT order_id, kind, amount, processor_ref FROM payment_transactions WHERE kind IN ('charge', 'refund')
     ${orderIds ? 'AND order_id = ANY($1)' : ''}`,
    orderIds ? [orderIds] : [],
  );
  for (const row of rows) {
    const books = ours.get(row.order_id) ?? empty();
    if (row.kind === 'charge') {
      books.charges.push(row.processor_ref ?? '(none)');
      books.captured += Number(row.amount);
    } else books.refunded += Number(row.amount);
    ours.set(row.order_id, books);
  }

  const response = await fetch(new URL('/v1/charges', processorUrl));
  if (!response.ok) throw new Error(`processor ledger: HTTP ${response.status}`);
  const { data } = (await response.json()) as { data: ProcessorCharge[] };
  const theirs = new Map<string, Books>();
  for (const charge of data) {
    const orderId = charge.metadata.order_id ?? '(no order)';
    if (charge.status !== 'succeeded' || (orderIds && !orderIds.includes(orderId))) continue;
    const books = theirs.get(orderId) ?? empty();
    books.charges.push(charge.id);
    books.captured += charge.amount;
    books.refunded += charge.amount_refunded;
    theirs.set(orderId, books);
  }

  const discrepancies: Discrepancy[] = [];
  for (const orderId of new Set([...ours.keys(), ...theirs.keys()])) {
    const a = ours.get(orderId) ?? empty();
    const b = theirs.get(orderId) ?? empty();
    a.charges.sort();
    b.charges.sort();
    const same =
      a.captured === b.captured && a.refunded === b.refunded && a.charges.length <= 1 && a.charges.join() === b.charges.join();
    if (!same) discrepancies.push({ orderId, ours: a, processor: b });
  }
  return discrepancies;
}

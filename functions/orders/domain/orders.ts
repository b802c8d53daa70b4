import * as z from 'zod';
import { cursorId, decodeCursor, encodeCursor } from '../../../shared/cursor.ts';
import { Conflict, Forbidden, NotFound, Unprocessable } from '../../../shared/errors.ts';
import { createEvent, type EventEnvelope } from '../../../shared/events/envelope.ts';
import type { Principal } from '../../../shared/http/handler.ts';
import { newId } from '../../../shared/ids.ts';
import type { Order, OrderSummary } from './order.ts';
import { decideKey, fingerprintOf, type PlaceOrderRequest, priceLines } from './placement.ts';
import type { Clock, OrderStore, PriceBook, SagaInput, SagaStarter } from './ports.ts';
import { type Actor, decide, type OrderCommand } from './transitions.ts';

export interface OrdersDeps {
  orders: OrderStore;
  prices: PriceBook;
  saga: SagaStarter;
  clock: Clock;
  /** After a committed change: publish its events and start a pending saga now (best effort; the schedules retry). */
  afterCommit(orderId: string): Promise<void>;
}

const visibleTo = (principal: Principal, userId: string) => principal.role === 'admin' || principal.userId === userId;

/** Name of the compensation-only execution of an order (the forward one is named by the order id). */
export const compensationName = (orderId: string) => `${orderId}-compensate`;

/**
 * POST /orders: the same Idempotency-Key and body give the same order, another body 422, a concurrent holder 409.
 * Prices and names come from the read model of the products service's events, never from the request.
 */
export async function placeOrder(
  deps: OrdersDeps,
  principal: Principal,
  idempotencyKey: string,
  request: PlaceOrderRequest,
  correlationId: string,
): Promise<{ order: Order; replayed: boolean }> {
  const fingerprint = fingerprintOf(request);
  const claim = { userId: principal.userId, key: idempotencyKey, fingerprint };
  const replay = async (decision: ReturnType<typeof decideKey>) => {
    if (decision.kind === 'mismatch')
      throw new Unprocessable(
        'IDEMPOTENCY_KEY_REUSED',
        'This Idempotency-Key was used with a different request; use a new key for a new order',
      );
    if (decision.kind !== 'replay') return undefined;
    const order = await deps.orders.find(decision.orderId);
    if (!order) throw new Conflict('The order of this Idempotency-Key is not readable yet; retry');
    return { order, replayed: true };
  };
  // A key already used answers before pricing, so a retry gets its order even if a product changed since.
  const earlier = await replay(decideKey(await deps.orders.findKey(claim.userId, claim.key), fingerprint));
  if (earlier) return earlier;

  const products = await deps.prices.lookup(request.items.map((i) => i.productId));
  const { lines, total } = priceLines(request.items, products);
  const now = deps.clock.now().toISOString();
  const order: Order = {
    id: newId('ord', deps.clock.now().getTime()),
    userId: principal.userId,
    status: 'PENDING',
    lines,
    total,
    paymentMethod: request.paymentMethod,
    paymentId: null,
    cancelReason: null,
    cancelRequestedAt: null,
    sagaStartedAt: null,
    reconcileAttempts: 0,
    correlationId,
    createdAt: now,
    updatedAt: now,
    history: [{ status: 'PENDING', reason: 'ORDER_PLACED', at: now, by: 'customer' }],
  };
  const created = createEvent(
    'orders',
    'order.created',
    {
      orderId: order.id,
      userId: order.userId,
      lines: lines.map((l) => ({ productId: l.productId, name: l.name, quantity: l.quantity, unitPrice: l.unitPrice })),
      total,
      createdAt: now,
    },
    correlationId,
  );
  const outcome = await deps.orders.create(order, claim, [created]);
  if (outcome.kind === 'in-flight')
    throw new Conflict('A request with this Idempotency-Key is still being processed; retry shortly', { reason: 'IN_FLIGHT' });
  if (outcome.kind !== 'created') return (await replay(outcome)) as { order: Order; replayed: boolean };
  await deps.afterCommit(order.id);
  return { order: (await deps.orders.find(order.id)) ?? order, replayed: false };
}

/** The owner or an admin; anyone else learns nothing, not even that the order exists. */
export async function getOrder(deps: OrdersDeps, principal: Principal, orderId: string): Promise<Order> {
  const order = await deps.orders.find(orderId);
  if (!order || !visibleTo(principal, order.userId)) throw new NotFound(`No order ${orderId}`);
  return order;
}

export interface OrderPage {
  items: OrderSummary[];
  nextCursor: string | null;
}

/** Where a page of orders ended (newest first): the last order's creation time and id. */
const PageEnd = z.object({ createdAt: z.iso.datetime(), id: cursorId }).strict();

/** A user's orders, newest first, from the listing read model; self or admin. */
export async function listOrders(
  deps: OrdersDeps,
  principal: Principal,
  userId: string,
  page: { limit: number; cursor?: string },
): Promise<OrderPage> {
  if (!visibleTo(principal, userId)) throw new Forbidden('You can list only your own orders');
  const after = page.cursor ? decodeCursor(page.cursor, PageEnd) : undefined;
  const rows = await deps.orders.listByUser(userId, page.limit + 1, after);
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  return {
    items,
    nextCursor: rows.length > page.limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
  };
}

/** The saga's input for an order, as the contract fixes it. */
export function sagaInputOf(order: Order, compensate?: { reason: string }): SagaInput {
  return {
    orderId: order.id,
    userId: order.userId,
    correlationId: order.correlationId,
    lines: order.lines.map((l) => ({ productId: l.productId, quantity: l.quantity })),
    total: order.total,
    paymentMethod: order.paymentMethod,
    ...(compensate ? { compensate } : {}),
  };
}

function eventsOf(order: Order, status: Order['status'], reason: string | null, at: string, refunded: boolean): EventEnvelope[] {
  if (status === 'CONFIRMED' && order.status !== 'CONFIRMED')
    return [
      createEvent(
        'orders',
        'order.confirmed',
        { orderId: order.id, userId: order.userId, total: order.total, confirmedAt: at },
        order.correlationId,
      ),
    ];
  if (status === 'CANCELLED')
    return [
      createEvent(
        'orders',
        'order.cancelled',
        {
          orderId: order.id,
          userId: order.userId,
          reason: reason ?? 'CANCELLED',
          cancelledAt: at,
          // The compensation's refund gave money back (the saga says so: a charge may land before the order records it).
          ...(refunded || order.paymentId ? { refunded: true } : {}),
        },
        order.correlationId,
      ),
    ];
  return [];
}

/**
 * Applies a command to an order through the one rule book (`decide`), in the transaction that locked it. A refusal is
 * thrown as is (IllegalTransition, OrderCancelled); a repeat changes nothing and answers the order as it is.
 */
export async function applyCommand(deps: OrdersDeps, orderId: string, command: OrderCommand, by: Actor): Promise<Order> {
  return (await applyChange(deps, orderId, command, by)).order;
}

/** `applyCommand`, also telling whether this call changed the order (a repeat does not: metrics count changes only). */
export async function applyChange(
  deps: OrdersDeps,
  orderId: string,
  command: OrderCommand,
  by: Actor,
): Promise<{ order: Order; changed: boolean }> {
  let compensate = false;
  const result = await deps.orders.change(orderId, (order) => {
    const decision = decide(order, command);
    if (decision.kind === 'refused') throw decision.error;
    if (decision.kind === 'unchanged') return undefined;
    const at = deps.clock.now().toISOString();
    compensate = decision.startCompensation === true;
    return {
      decision,
      entry: { status: decision.status, reason: decision.reason, at, by },
      events: eventsOf(order, decision.status, decision.reason, at, command.type === 'Cancel' && command.refunded === true),
    };
  });
  if (!result) throw new NotFound(`No order ${orderId}`);
  if (result.after !== result.before) await deps.afterCommit(orderId);
  if (compensate) await startCompensation(deps, result.after, 'CUSTOMER_CANCELLED');
  return { order: result.after, changed: result.after !== result.before };
}

/** Starts the compensation-only execution; a failure is left to the reconciler, which starts it when it is missing. */
async function startCompensation(deps: OrdersDeps, order: Order, reason: string): Promise<void> {
  await deps.saga.start(compensationName(order.id), sagaInputOf(order, { reason })).catch(() => undefined);
}

/** POST /orders/{id}/cancel: owner or admin. Before the saga started it cancels; later it marks intent (see `decide`). */
export async function cancelOrder(deps: OrdersDeps, principal: Principal, orderId: string): Promise<Order> {
  await getOrder(deps, principal, orderId);
  return applyCommand(deps, orderId, { type: 'RequestCancel' }, 'customer');
}

/** The outbox relay's saga part: starts executions named by order id for orders written but not started yet. */
export async function startPendingSagas(deps: Pick<OrdersDeps, 'orders' | 'saga'>, orderId?: string, limit = 25) {
  return deps.orders.startPendingSagas(
    limit,
    async (order) => {
      await deps.saga.start(order.id, sagaInputOf(order));
    },
    orderId,
  );
}

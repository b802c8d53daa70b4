import type { EventEnvelope } from '../../../shared/events/envelope.ts';
import type { Money } from '../../../shared/money.ts';
import type { Order, OrderSummary, StatusChange } from './order.ts';
import type { PricedProduct } from './placement.ts';
import type { Decision } from './transitions.ts';

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

export interface IdempotencyClaim {
  userId: string;
  key: string;
  fingerprint: string;
}

export type CreateOutcome =
  | { kind: 'created' }
  /** Another request with the key holds it right now. */
  | { kind: 'in-flight' }
  /** A request with the key committed first: same body → its order, another body → mismatch. */
  | { kind: 'replay'; orderId: string }
  | { kind: 'mismatch' };

/** A change decided by `decide`, as the store writes it: the new state, one history entry and the events. */
export interface AppliedChange {
  decision: Extract<Decision, { kind: 'change' }>;
  entry: StatusChange;
  events: EventEnvelope[];
}

export interface OrderStore {
  /** An earlier use of an Idempotency-Key by this user. */
  findKey(userId: string, key: string): Promise<{ fingerprint: string; orderId: string } | undefined>;
  /**
   * In one transaction: claims the key (a concurrent holder makes it `in-flight`), re-checks an earlier use, and writes
   * the order, its first status, its listing row, the key and the events (outbox).
   */
  create(order: Order, claim: IdempotencyClaim, events: EventEnvelope[]): Promise<CreateOutcome>;
  find(orderId: string): Promise<Order | undefined>;
  /** The user's orders, newest first, after the cursor position. */
  listByUser(userId: string, limit: number, after?: { createdAt: string; id: string }): Promise<OrderSummary[]>;
  /**
   * Locks the order, asks `plan` (the pure rule book plus the events of the change) and writes what it returns, in one
   * transaction. `plan` throws a refusal, which rolls back; undefined when the order does not exist.
   */
  change(
    orderId: string,
    plan: (order: Order) => AppliedChange | undefined,
  ): Promise<{ before: Order; after: Order } | undefined>;
  /** Orders whose saga is not started yet (not settled), locked while `start` runs; each started one is marked. */
  startPendingSagas(
    limit: number,
    start: (order: Order) => Promise<void>,
    orderId?: string,
  ): Promise<{ started: number; failed: number }>;
  /** Orders the saga should have settled by now: in flight, or CONFIRMED with a cancel request, unchanged since `before`. */
  unsettledSince(before: Date, limit: number): Promise<Order[]>;
  /** Counts a reconciler action on the order (it gives up after a few). */
  countReconcileAttempt(orderId: string): Promise<number>;
  /** Retention: forgets Idempotency-Keys used before `before` (their orders stay); returns how many. */
  purgeKeysBefore(before: Date): Promise<number>;
  /** Retention: published outbox rows and consumer dedupe records older than `before`. */
  purgeEventsBefore(before: Date): Promise<{ outbox: number; processed: number }>;
}

/** The read model of product names and prices, kept from product.* events. */
export interface PriceBook {
  lookup(productIds: string[]): Promise<Map<string, PricedProduct>>;
  /** Applies a product event; an older version than what is kept changes nothing, a deletion is final. */
  apply(update: ProductUpdate): Promise<void>;
}

export type ProductUpdate =
  | { kind: 'upsert'; productId: string; name: string; price: Money; version: number; eventId: string }
  | { kind: 'delete'; productId: string; eventId: string };

/** The saga's input, fixed by the order saga contract; `compensate` starts the compensation-only path. */
export interface SagaInput {
  orderId: string;
  userId: string;
  correlationId: string;
  lines: Array<{ productId: string; quantity: number }>;
  total: Money;
  paymentMethod: string;
  compensate?: { reason: string };
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'NOT_FOUND';

/** Step Functions as the orders service uses it: start an execution by name (idempotent) and ask how one went. */
export interface SagaStarter {
  /** `already-started` when an execution of that name exists: a duplicate start is one execution. */
  start(name: string, input: SagaInput): Promise<'started' | 'already-started'>;
  describe(name: string): Promise<ExecutionStatus>;
}

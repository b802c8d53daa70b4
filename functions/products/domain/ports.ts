import type { EventEnvelope } from '../../../shared/events/envelope.ts';
import type { EventPublisher } from '../../../shared/events/publisher.ts';
import type { Cursor, Sort } from './cursor.ts';
import type { Product } from './product.ts';

export type { EventPublisher };

export interface SearchCriteria {
  tokens: string[];
  category?: string;
  minPrice?: number;
  maxPrice?: number;
  inStock?: boolean;
  sort: Sort;
  after?: Cursor;
  limit: number;
}

/** Events waiting in a store's outbox, grouped by the record that holds them. */
export interface PendingEvents {
  key: string;
  events: EventEnvelope[];
  /** Products whose stock changed with this record; their low/depleted signals are checked before it is acknowledged. */
  productIds?: string[];
}

export interface Outbox {
  /** Records with unpublished events, oldest first; only the record `key` when given. */
  pending(limit: number, key?: string): Promise<PendingEvents[]>;
  /** Removes the published events from the record (the whole record once nothing is left in it). */
  acknowledge(key: string, published: EventEnvelope[]): Promise<void>;
}

/** The catalog's reads: all the public read routes need (served without the write path's dependencies). */
export interface CatalogReader {
  findById(id: string): Promise<Product | null>;
  /** Up to `limit` products in sort order, after the cursor; deleted products never match. */
  search(criteria: SearchCriteria): Promise<Product[]>;
}

/** The catalog: every write is one document, with its events inside it (no multi-document transactions needed). */
export interface CatalogStore extends Outbox, CatalogReader {
  insert(product: Product, events: EventEnvelope[]): Promise<void>;
  /** Writes `product` if the stored version is still `expectedVersion`; false when someone else won. */
  replace(product: Product, expectedVersion: number, events: EventEnvelope[]): Promise<boolean>;
  /** Mirrors the stock level into the catalog for the in-stock filter; older stock versions never overwrite newer. */
  syncAvailability(productId: string, available: number, stockVersion: number): Promise<void>;
}

export interface StockLevel {
  productId: string;
  available: number;
  reserved: number;
  lowStockThreshold: number;
  lowAlerted: boolean;
  depletedAlerted: boolean;
  version: number;
  updatedAt: string | null;
}

export interface StockLine {
  productId: string;
  quantity: number;
}

export type ReservationStatus = 'held' | 'committed' | 'released';
export interface Reservation {
  orderId: string;
  status: ReservationStatus;
  lines: StockLine[];
  expiresAt: string;
  createdAt: string;
}

export type ReserveOutcome =
  | { ok: true }
  | { ok: false; reason: 'exists' }
  | { ok: false; reason: 'insufficient'; productIds: string[] };

/** Stock in DynamoDB: each method is one conditional write or one transaction, events in the same transaction. */
export interface StockStore extends Outbox {
  level(productId: string): Promise<StockLevel | null>;
  /**
   * Writes the level if its version is still `expectedVersion` (null: the item must not exist yet), with an outbox
   * record that makes the relay check low/depleted signals. `checkSignals: false` is for an initial data load only.
   */
  writeLevel(
    level: Pick<StockLevel, 'productId' | 'available' | 'lowStockThreshold'>,
    expectedVersion: number | null,
    audit: { reason: string; by: string; at: string },
    options?: { checkSignals?: boolean },
  ): Promise<boolean>;
  /** Alert flags change only if the level is still at `version`, with the alert events in the same transaction. */
  writeAlerts(
    productId: string,
    version: number,
    flags: { lowAlerted: boolean; depletedAlerted: boolean },
    events: EventEnvelope[],
  ): Promise<boolean>;
  reserve(reservation: Reservation, event: EventEnvelope): Promise<ReserveOutcome>;
  reservation(orderId: string): Promise<Reservation | null>;
  /** held -> released (units back to available) or committed -> released (units back on the shelf); false if the status moved. */
  release(reservation: Reservation, event: EventEnvelope, purgeAt: string): Promise<boolean>;
  /** A released record for an order never reserved, so a late reservation is refused; false if one exists. */
  closeUnreserved(orderId: string, now: string, purgeAt: string): Promise<boolean>;
  /** held -> released, only while the hold is still held and expired at `now` (the sweep's release; never a committed order). */
  releaseExpired(reservation: Reservation, event: EventEnvelope, now: string, purgeAt: string): Promise<boolean>;
  /** held -> committed (reserved units leave the stock), only while the hold has not expired at `now`. */
  commit(reservation: Reservation, now: string, purgeAt: string): Promise<boolean>;
  expiredHolds(now: string, limit: number): Promise<Reservation[]>;
}

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

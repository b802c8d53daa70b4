import * as z from 'zod';
import { Conflict, NotFound } from '../../../shared/errors.ts';
import type { EventEnvelope } from '../../../shared/events/envelope.ts';
import { createEvent } from '../../../shared/events/envelope.ts';
import { text } from '../../../shared/text.ts';
import { InsufficientStock, ReservationClosed, ReservationExpired } from './errors.ts';
import type { CatalogStore, Clock, Reservation, StockLevel, StockLine, StockStore } from './ports.ts';
import { isProductId } from './product.ts';

export const DEFAULT_LOW_STOCK_THRESHOLD = 5;

export interface InventoryDeps {
  stock: StockStore;
  catalog: Pick<CatalogStore, 'findById' | 'syncAvailability'>;
  clock: Clock;
  /** How long a hold lasts before the sweep gives its units back. */
  holdMinutes: number;
  /** How long closed reservations are kept (for idempotency) before TTL removes them. */
  keepClosedDays: number;
  /** After a committed stock change: check low/depleted for these products now, then publish (best effort). */
  flush(productIds: string[]): Promise<void>;
}

export interface InventoryView {
  productId: string;
  available: number;
  reserved: number;
  onHand: number;
  lowStockThreshold: number;
  updatedAt: string | null;
}

const emptyLevel = (productId: string): StockLevel => ({
  productId,
  available: 0,
  reserved: 0,
  lowStockThreshold: DEFAULT_LOW_STOCK_THRESHOLD,
  lowAlerted: false,
  depletedAlerted: false,
  version: 0,
  updatedAt: null,
});

const view = (l: StockLevel): InventoryView => ({
  productId: l.productId,
  available: l.available,
  reserved: l.reserved,
  onHand: l.available + l.reserved,
  lowStockThreshold: l.lowStockThreshold,
  updatedAt: l.updatedAt,
});

async function existingProduct(deps: InventoryDeps, productId: string): Promise<void> {
  // Only a malformed id is a 404 without asking; a failing catalog propagates (503), it does not make the product vanish.
  const product = isProductId(productId) ? await deps.catalog.findById(productId) : null;
  if (!product) throw new NotFound(`No product ${productId}`);
}

export async function getInventory(deps: InventoryDeps, productId: string): Promise<InventoryView> {
  await existingProduct(deps, productId);
  return view((await deps.stock.level(productId)) ?? emptyLevel(productId));
}

export const InventoryChange = z.union([
  z
    .object({
      set: z.number().int().nonnegative().max(10_000_000),
      reason: text({ min: 1, max: 200, trim: true }),
      lowStockThreshold: z.number().int().nonnegative().max(1_000_000).optional(),
    })
    .strict(),
  z
    .object({
      adjust: z
        .number()
        .int()
        .min(-10_000_000)
        .max(10_000_000)
        .refine((n) => n !== 0, 'must not be 0')
        .meta({ not: { const: 0 } }),
      reason: text({ min: 1, max: 200, trim: true }),
      lowStockThreshold: z.number().int().nonnegative().max(1_000_000).optional(),
    })
    .strict(),
]);
export type InventoryChange = z.infer<typeof InventoryChange>;

/** The units on sale after a change; the units held for orders are never touched, so on hand can never drop below them. */
export function availableAfter(level: StockLevel, change: InventoryChange): number {
  const available = 'set' in change ? change.set - level.reserved : level.available + change.adjust;
  if (available < 0) {
    throw new Conflict('Stock cannot go below the units reserved for orders', {
      reserved: level.reserved,
      onHand: level.available + level.reserved,
      ...('set' in change ? { requestedOnHand: change.set } : { adjust: change.adjust }),
    });
  }
  return available;
}

/** Admin stock change (set on-hand or adjust by a delta, with a reason), retried on concurrent reservations. */
export async function changeInventory(
  deps: InventoryDeps,
  productId: string,
  change: InventoryChange,
  by: string,
): Promise<InventoryView> {
  await existingProduct(deps, productId);
  for (let attempt = 0; attempt < 10; attempt++) {
    const current = await deps.stock.level(productId);
    const level = current ?? emptyLevel(productId);
    const available = availableAfter(level, change);
    const lowStockThreshold = change.lowStockThreshold ?? level.lowStockThreshold;
    const at = deps.clock.now().toISOString();
    if (
      await deps.stock.writeLevel({ productId, available, lowStockThreshold }, current ? current.version : null, {
        reason: change.reason,
        by,
        at,
      })
    ) {
      await deps.flush([productId]);
      return view({ ...level, available, lowStockThreshold, updatedAt: at });
    }
  }
  throw new Conflict('Stock is changing too fast; try again');
}

/** One line per product (quantities of repeated products summed), in a stable order. */
export function normalizeLines(lines: StockLine[]): StockLine[] {
  const byProduct = new Map<string, number>();
  for (const l of lines) byProduct.set(l.productId, (byProduct.get(l.productId) ?? 0) + l.quantity);
  return [...byProduct.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([productId, quantity]) => ({ productId, quantity }));
}

export const StockRequest = z.object({
  orderId: text({ min: 1, max: 100 }),
  lines: z
    .array(z.object({ productId: text({ min: 1, max: 100 }), quantity: z.number().int().positive().max(10_000) }))
    .min(1)
    .max(90),
});
export type StockRequest = z.infer<typeof StockRequest>;

export interface ReservationResult {
  orderId: string;
  status: Reservation['status'];
  lines: StockLine[];
  expiresAt: string;
}
const result = (r: Reservation): ReservationResult => ({
  orderId: r.orderId,
  status: r.status,
  lines: r.lines,
  expiresAt: r.expiresAt,
});

const isExpired = (r: Reservation, now: Date) => r.status === 'held' && r.expiresAt <= now.toISOString();
const purgeAt = (deps: InventoryDeps) => new Date(deps.clock.now().getTime() + deps.keepClosedDays * 86_400_000).toISOString();

async function settle(deps: InventoryDeps, reservation: Pick<Reservation, 'lines'>): Promise<void> {
  await deps.flush(reservation.lines.map((l) => l.productId));
}

/**
 * Holds every line of an order or none (one transaction). Idempotent on the order id: a repeat
 * returns the existing hold; an order already released is refused by name (`ReservationClosed`).
 */
export async function reserveStock(
  deps: InventoryDeps,
  request: StockRequest,
  correlationId: string,
): Promise<ReservationResult> {
  const lines = normalizeLines(request.lines);
  if (lines.length > 90) throw new Conflict('An order may reserve at most 90 distinct products');
  const now = deps.clock.now();
  const reservation: Reservation = {
    orderId: request.orderId,
    status: 'held',
    lines,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + deps.holdMinutes * 60_000).toISOString(),
  };
  const event = createEvent(
    'products',
    'product.stock.reserved',
    { orderId: request.orderId, lines, expiresAt: reservation.expiresAt },
    correlationId,
  );
  const outcome = await deps.stock.reserve(reservation, event);
  if (outcome.ok) {
    await settle(deps, reservation);
    return result(reservation);
  }
  if (outcome.reason === 'insufficient') {
    throw new InsufficientStock(
      lines
        .filter((l) => outcome.productIds.includes(l.productId))
        .map((l) => ({ productId: l.productId, requested: l.quantity })),
    );
  }
  const existing = await deps.stock.reservation(request.orderId);
  if (!existing || existing.status === 'released') throw new ReservationClosed(`Order ${request.orderId} was already released`);
  return result(existing);
}

/**
 * Cancels an order's stock: held or committed units go back. Idempotent; a release that arrives before the reservation
 * closes the order so the reservation is refused. Expiry goes through `releaseExpiredHold`, never here.
 */
export async function releaseStock(deps: InventoryDeps, orderId: string, correlationId: string): Promise<ReservationResult> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const existing = await deps.stock.reservation(orderId);
    const now = deps.clock.now().toISOString();
    if (!existing) {
      if (await deps.stock.closeUnreserved(orderId, now, purgeAt(deps)))
        return { orderId, status: 'released', lines: [], expiresAt: now };
      continue;
    }
    if (existing.status === 'released') return result(existing);
    const event = createEvent(
      'products',
      'product.stock.released',
      { orderId, lines: existing.lines, reason: 'cancelled' },
      correlationId,
    );
    if (await deps.stock.release(existing, event, purgeAt(deps))) {
      await settle(deps, existing);
      return { ...result(existing), status: 'released' };
    }
  }
  throw new Conflict(`The reservation of order ${orderId} keeps changing; try again`);
}

/** On order confirmation the held units leave the stock for good. An expired hold is released instead and refused by name. */
export async function commitStock(deps: InventoryDeps, orderId: string, correlationId: string): Promise<ReservationResult> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const existing = await deps.stock.reservation(orderId);
    if (!existing) throw new ReservationClosed(`Order ${orderId} holds no stock`);
    if (existing.status === 'committed') return result(existing);
    if (existing.status === 'released') throw new ReservationClosed(`The reservation of order ${orderId} was released`);
    const now = deps.clock.now();
    if (isExpired(existing, now)) {
      // A commit that won the race (its clock said in time) stands; otherwise the hold expired, released here or by the sweep.
      const released = await releaseExpiredHold(deps, orderId, correlationId);
      if (!released && (await deps.stock.reservation(orderId))?.status === 'committed') continue;
      throw new ReservationExpired(orderId);
    }
    if (await deps.stock.commit(existing, now.toISOString(), purgeAt(deps))) {
      await settle(deps, existing);
      return { ...result(existing), status: 'committed' };
    }
  }
  throw new Conflict(`The reservation of order ${orderId} keeps changing; try again`);
}

/** Gives back an order's units only if its hold is still held and expired, as the store's condition checks; true when this call released it. */
export async function releaseExpiredHold(deps: InventoryDeps, orderId: string, correlationId: string): Promise<boolean> {
  const hold = await deps.stock.reservation(orderId);
  const now = deps.clock.now();
  if (!hold || !isExpired(hold, now)) return false;
  const event = createEvent(
    'products',
    'product.stock.released',
    { orderId, lines: hold.lines, reason: 'expired' },
    correlationId,
  );
  if (!(await deps.stock.releaseExpired(hold, event, now.toISOString(), purgeAt(deps)))) return false;
  await settle(deps, hold);
  return true;
}

/** The sweep: releases holds whose expiry passed (DynamoDB TTL is never relied on for this; dynalite has none). */
export async function releaseExpiredHolds(deps: InventoryDeps, limit = 100): Promise<number> {
  // The holds index is eventually consistent: it only nominates candidates, releaseExpiredHold decides.
  const candidates = await deps.stock.expiredHolds(deps.clock.now().toISOString(), limit);
  let released = 0;
  for (const hold of candidates) if (await releaseExpiredHold(deps, hold.orderId, `sweep-${hold.orderId}`)) released++;
  return released;
}

export interface AlertDecision {
  lowAlerted: boolean;
  depletedAlerted: boolean;
  raise: Array<'low' | 'depleted'>;
}

/** Low and depleted are raised once per crossing and re-armed when stock comes back above the threshold / above zero. */
export function decideAlerts(level: StockLevel): AlertDecision | null {
  const depleted = level.available === 0;
  const low = level.available > 0 && level.available <= level.lowStockThreshold;
  const raise: AlertDecision['raise'] = [];
  if (depleted && !level.depletedAlerted) raise.push('depleted');
  if (low && !level.lowAlerted) raise.push('low');
  const next = { lowAlerted: low || (depleted && level.lowAlerted), depletedAlerted: depleted };
  if (!raise.length && next.lowAlerted === level.lowAlerted && next.depletedAlerted === level.depletedAlerted) return null;
  return { ...next, raise };
}

/** After stock moved: raise low/depleted alerts (atomically with their flags) and mirror availability into the catalog. */
export async function checkStockSignals(deps: Pick<InventoryDeps, 'stock' | 'catalog'>, productIds: string[]): Promise<void> {
  for (const productId of new Set(productIds)) {
    for (let attempt = 0; attempt < 5; attempt++) {
      const level = await deps.stock.level(productId);
      if (!level) break;
      const decision = decideAlerts(level);
      if (decision) {
        const events: EventEnvelope[] = decision.raise.map((kind) =>
          kind === 'low'
            ? createEvent(
                'products',
                'product.stock.low',
                { productId, available: level.available, threshold: level.lowStockThreshold },
                `stock-${productId}`,
              )
            : createEvent('products', 'product.stock.depleted', { productId }, `stock-${productId}`),
        );
        if (!(await deps.stock.writeAlerts(productId, level.version, decision, events))) continue;
      }
      await deps.catalog.syncAvailability(productId, level.available, level.version);
      break;
    }
  }
}

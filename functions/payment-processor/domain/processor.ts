import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { testCards } from './test-cards.ts';

/**
 * A small Stripe-like payment processor that stands in for the external one: charges, refunds and look-ups, each
 * write under an `Idempotency-Key` (the same key with the same parameters answers the first result; with other
 * parameters it is an error), and its own ledger that our books are reconciled against.
 */
export interface ProcessorRequest {
  method: string;
  path: string;
  query: Record<string, string | undefined>;
  idempotencyKey?: string;
  body: unknown;
}

export interface ProcessorResponse {
  status: number;
  body: unknown;
  /** Milliseconds to hold the answer back (the slow test card); the charge has already landed. */
  delayMs?: number;
}

export interface Refund {
  id: string;
  object: 'refund';
  charge: string;
  amount: number;
  currency: string;
  status: 'succeeded';
  created: string;
}

export interface Charge {
  id: string;
  object: 'charge';
  amount: number;
  currency: string;
  status: 'succeeded' | 'failed';
  amount_refunded: number;
  refunded: boolean;
  failure_code: string | null;
  metadata: { order_id?: string };
  payment_method_details: { card: { brand: string; last4: string } };
  refunds: Refund[];
  created: string;
}

const ChargeBody = z
  .object({
    amount: z.number().int().positive().max(1_000_000_000_00),
    currency: z.string().regex(/^[a-zA-Z]{3}$/),
    payment_method: z.string().min(1).max(200),
    metadata: z
      .object({ order_id: z.string().min(1).max(200).optional() })
      .strict()
      .default({}),
    description: z.string().max(500).optional(),
  })
  .strict();
const RefundBody = z
  .object({
    charge: z.string().min(1).max(200),
    amount: z.number().int().positive().max(1_000_000_000_00).optional(),
    reason: z.string().max(200).optional(),
  })
  .strict();

const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;
const error = (status: number, type: string, code: string, message: string, extra: Record<string, unknown> = {}) => ({
  status,
  body: { error: { type, code, message, ...extra } },
});

export interface ProcessorOptions {
  /** How long the slow test card holds its answer back. */
  slowMs?: number;
  now?: () => Date;
}

export class MockPaymentProcessor {
  private readonly charges = new Map<string, Charge>();
  /** Idempotency key -> the request's fingerprint and its (first) answer, stored before the work starts. */
  private readonly idempotency = new Map<string, { fingerprint: string; response: Promise<ProcessorResponse> }>();
  /** Keys whose first attempt the transient test card has already failed. */
  private readonly failedOnce = new Set<string>();
  slowMs: number;
  private readonly now: () => Date;

  constructor(options: ProcessorOptions = {}) {
    this.slowMs = options.slowMs ?? 5_000;
    this.now = options.now ?? (() => new Date());
  }

  async handle(req: ProcessorRequest): Promise<ProcessorResponse> {
    const [, version, resource, resourceId, extra] = req.path.split('/');
    if (version !== 'v1' || extra !== undefined) return error(404, 'invalid_request_error', 'resource_missing', 'No such route');
    if (resource === 'charges' && req.method === 'POST' && !resourceId)
      return this.idempotent(req, (key) => this.charge(req.body, key));
    if (resource === 'refunds' && req.method === 'POST' && !resourceId) return this.idempotent(req, () => this.refund(req.body));
    if (resource === 'charges' && req.method === 'GET' && resourceId) {
      const charge = this.charges.get(resourceId);
      return charge ? { status: 200, body: charge } : error(404, 'invalid_request_error', 'resource_missing', 'No such charge');
    }
    if (resource === 'charges' && req.method === 'GET') {
      const orderId = req.query.order_id;
      const data = [...this.charges.values()].filter((c) => !orderId || c.metadata.order_id === orderId);
      return { status: 200, body: { object: 'list', data } };
    }
    return error(404, 'invalid_request_error', 'resource_missing', 'No such route');
  }

  /** Every charge and refund the processor holds: its ledger. */
  ledger(): Charge[] {
    return [...this.charges.values()];
  }

  private async idempotent(req: ProcessorRequest, work: (key: string) => ProcessorResponse): Promise<ProcessorResponse> {
    const key = req.idempotencyKey;
    if (!key || key.length > 255)
      return error(400, 'invalid_request_error', 'idempotency_key_required', 'An Idempotency-Key header is required');
    const fingerprint = JSON.stringify([req.method, req.path, req.body]);
    const seen = this.idempotency.get(key);
    if (seen) {
      if (seen.fingerprint !== fingerprint)
        return error(
          400,
          'idempotency_error',
          'idempotency_key_reused',
          'Keys for idempotent requests can only be used with the same parameters',
        );
      // A replay answers at once: only the first answer is slow.
      const first = await seen.response;
      return { status: first.status, body: first.body };
    }
    const response = Promise.resolve(key).then(work);
    this.idempotency.set(key, { fingerprint, response });
    const result = await response;
    // Like Stripe, a 5xx is not a result: the same key may try again.
    if (result.status >= 500) this.idempotency.delete(key);
    return result;
  }

  private charge(raw: unknown, key: string): ProcessorResponse {
    const parsed = ChargeBody.safeParse(raw);
    if (!parsed.success) return error(400, 'invalid_request_error', 'parameter_invalid', parsed.error.issues[0]!.message);
    const body = parsed.data;
    const card = testCards[body.payment_method];
    if (!card) return error(400, 'invalid_request_error', 'resource_missing', 'No such PaymentMethod');
    const outcome = card.outcome;
    if (outcome.kind === 'outage') return error(503, 'api_error', 'processor_unavailable', 'The processor is unavailable');
    if (outcome.kind === 'transient-then-succeeds') {
      if (!this.failedOnce.has(key)) {
        this.failedOnce.add(key);
        return error(503, 'api_error', 'processor_unavailable', 'A transient processor error; retry with the same key');
      }
    }
    const charge: Charge = {
      id: id('ch'),
      object: 'charge',
      amount: body.amount,
      currency: body.currency.toLowerCase(),
      status: outcome.kind === 'declined' ? 'failed' : 'succeeded',
      amount_refunded: 0,
      refunded: false,
      failure_code: outcome.kind === 'declined' ? 'card_declined' : null,
      metadata: body.metadata,
      payment_method_details: { card: { brand: card.brand, last4: card.last4 } },
      refunds: [],
      created: this.now().toISOString(),
    };
    this.charges.set(charge.id, charge);
    if (outcome.kind === 'declined')
      return error(402, 'card_error', 'card_declined', 'Your card was declined.', {
        decline_code: outcome.declineCode,
        charge: charge.id,
      });
    return { status: 200, body: charge, delayMs: outcome.kind === 'slow' ? this.slowMs : undefined };
  }

  private refund(raw: unknown): ProcessorResponse {
    const parsed = RefundBody.safeParse(raw);
    if (!parsed.success) return error(400, 'invalid_request_error', 'parameter_invalid', parsed.error.issues[0]!.message);
    const charge = this.charges.get(parsed.data.charge);
    if (!charge) return error(404, 'invalid_request_error', 'resource_missing', 'No such charge');
    if (charge.status !== 'succeeded') return error(400, 'invalid_request_error', 'charge_not_succeeded', 'The charge failed');
    const remaining = charge.amount - charge.amount_refunded;
    const amount = parsed.data.amount ?? remaining;
    if (remaining === 0) return error(400, 'invalid_request_error', 'charge_already_refunded', 'The charge is fully refunded');
    if (amount > remaining)
      return error(400, 'invalid_request_error', 'amount_too_large', `At most ${remaining} can still be refunded`);
    const refund: Refund = {
      id: id('re'),
      object: 'refund',
      charge: charge.id,
      amount,
      currency: charge.currency,
      status: 'succeeded',
      created: this.now().toISOString(),
    };
    charge.refunds.push(refund);
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded === charge.amount;
    return { status: 200, body: refund };
  }
}

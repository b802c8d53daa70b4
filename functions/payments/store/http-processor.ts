import * as z from 'zod';
import { CircuitOpen, DependencyTimeout, type Resilient } from '../../../shared/resilience.ts';
import { type DeclineReason, PaymentProcessorUnavailable } from '../domain/errors.ts';
import type {
  ChargeRequest,
  ChargeResult,
  PaymentProcessor,
  ProcessorCharge,
  RefundRequest,
  RefundResult,
} from '../domain/ports.ts';

/** A failure worth another attempt: the connection, or the processor's own 5xx / 409 (a request with this key in flight). */
export class ProcessorTransientError extends Error {
  constructor(readonly reason: string) {
    super(`payment processor: ${reason}`);
    this.name = 'ProcessorTransientError';
  }
}

export const isTransientProcessorError = (error: unknown): boolean => error instanceof ProcessorTransientError;

const ChargeBody = z.object({
  id: z.string(),
  amount: z.number().int(),
  currency: z.string(),
  status: z.enum(['succeeded', 'failed']),
  amount_refunded: z.number().int(),
  metadata: z.object({ order_id: z.string().optional() }).passthrough(),
  payment_method_details: z.object({ card: z.object({ brand: z.string(), last4: z.string().regex(/^[0-9]{4}$/) }) }),
});
const ErrorBody = z.object({
  error: z.object({ type: z.string(), code: z.string(), decline_code: z.string().optional(), charge: z.string().optional() }),
});
const RefundBody = z.object({ id: z.string(), amount: z.number().int() });

const declineReasons: Record<string, DeclineReason> = {
  generic_decline: 'card_declined',
  insufficient_funds: 'insufficient_funds',
  expired_card: 'expired_card',
};

/**
 * The processor over HTTP (Stripe-like API; offline a local port, in AWS a Lambda Function URL). Every call goes through
 * the resilience policies: a timeout per attempt, retries of transient failures (safe: the idempotency key is the same
 * on every attempt) and the circuit breaker.
 */
export class HttpPaymentProcessor implements PaymentProcessor {
  constructor(
    private readonly baseUrl: string,
    private readonly resilience: Resilient,
  ) {}

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    const { status, body } = await this.call('POST', '/v1/charges', request.idempotencyKey, {
      amount: request.amount.amount,
      currency: request.amount.currency.toLowerCase(),
      payment_method: request.paymentMethod,
      metadata: { order_id: request.orderId },
    });
    if (status === 200) {
      const charge = ChargeBody.parse(body);
      return { outcome: 'captured', chargeId: charge.id, ...charge.payment_method_details.card };
    }
    const error = ErrorBody.safeParse(body);
    if (status === 402 && error.success)
      return {
        outcome: 'declined',
        reason: declineReasons[error.data.error.decline_code ?? ''] ?? 'card_declined',
        chargeId: error.data.error.charge ?? null,
      };
    if (status === 400 && error.success && error.data.error.code === 'resource_missing')
      return { outcome: 'declined', reason: 'invalid_payment_method', chargeId: null };
    throw new Error(`payment processor refused the charge request (${status} ${error.success ? error.data.error.code : ''})`);
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    const { status, body } = await this.call('POST', '/v1/refunds', request.idempotencyKey, {
      charge: request.chargeId,
      amount: request.amount.amount,
    });
    if (status === 200) return { outcome: 'refunded', refundId: RefundBody.parse(body).id };
    const error = ErrorBody.safeParse(body);
    return { outcome: 'rejected', reason: error.success ? error.data.error.code : `http_${status}` };
  }

  async chargesForOrder(orderId: string): Promise<ProcessorCharge[]> {
    const { status, body } = await this.call('GET', `/v1/charges?order_id=${encodeURIComponent(orderId)}`);
    if (status !== 200) throw new Error(`payment processor refused the charge look-up (${status})`);
    return z
      .object({ data: z.array(ChargeBody) })
      .parse(body)
      .data.map((c) => ({
        chargeId: c.id,
        orderId: c.metadata.order_id ?? null,
        amount: { amount: c.amount, currency: c.currency.toUpperCase() },
        status: c.status,
        refunded: c.amount_refunded,
        ...c.payment_method_details.card,
      }));
  }

  private async call(method: string, path: string, idempotencyKey?: string, payload?: unknown) {
    try {
      return await this.resilience.execute(async (signal) => {
        let response: Response;
        try {
          response = await fetch(new URL(path, this.baseUrl), {
            method,
            signal,
            headers: {
              'content-type': 'application/json',
              ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
            },
            body: payload === undefined ? undefined : JSON.stringify(payload),
          });
        } catch (error) {
          if (signal.aborted) throw error;
          throw new ProcessorTransientError(`connection failed (${(error as Error).message})`);
        }
        const body: unknown = await response.json().catch(() => null);
        if (response.status >= 500 || response.status === 409 || response.status === 429)
          throw new ProcessorTransientError(`HTTP ${response.status}`);
        return { status: response.status, body };
      });
    } catch (error) {
      if (error instanceof CircuitOpen) throw new PaymentProcessorUnavailable('circuit_open');
      if (error instanceof DependencyTimeout) throw new PaymentProcessorUnavailable('timeout');
      if (error instanceof ProcessorTransientError) throw new PaymentProcessorUnavailable(error.reason);
      throw error;
    }
  }
}

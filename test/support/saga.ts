import { inject } from 'vitest';
import type { Call } from './api.ts';

export interface SagaEvent {
  id: number;
  type: string;
  state?: string;
  attempt?: number;
  [details: string]: unknown;
}
export interface SagaExecution {
  execution: { name: string; status: string; input: string; error?: string; cause?: string; executionArn: string };
  events: SagaEvent[];
}

/** An execution as the offline console has it (GET /_local/executions/{name} with Accept: application/json). */
export async function execution(call: Call, name: string): Promise<SagaExecution | undefined> {
  const res = await call<SagaExecution>('GET', `/_local/executions/${name}`, { headers: { accept: 'application/json' } });
  return res.status === 200 ? res.body : undefined;
}

/** Polls until the execution has ended (or `timeoutMs` passed) and returns it. */
export async function finishedExecution(call: Call, name: string, timeoutMs = 60_000): Promise<SagaExecution> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const e = await execution(call, name);
    if (e && e.execution.status !== 'RUNNING') return e;
    if (Date.now() > deadline) throw new Error(`execution ${name} is ${e?.execution.status ?? 'missing'} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The task states an execution entered, in order (the path taken). */
export const statesEntered = (e: SagaExecution): string[] =>
  e.events.filter((ev) => ev.type.endsWith('StateEntered')).map((ev) => ev.state!);

/** How many tries each task took. */
export const tries = (e: SagaExecution, state: string): number =>
  e.events.filter((ev) => ev.state === state && ev.type === 'LambdaFunctionScheduled').length;

/** Makes the next `times` tries of a saga task fail (or slow down) for one customer's executions. */
export async function injectFault(
  call: Call,
  fault: { state: string; userId: string; times?: number; error?: string; delayMs?: number },
): Promise<void> {
  const res = await call('POST', '/_local/faults', { body: fault });
  if (res.status !== 201) throw new Error(`fault refused: ${res.status} ${JSON.stringify(res.body)}`);
}

/** What the payment processor holds for an order: succeeded charges, captured and refunded amounts. */
export async function processorBooks(orderId: string, processorUrl = inject('runtimeEnv').PAYMENT_PROCESSOR_URL!) {
  const res = await fetch(new URL(`/v1/charges?order_id=${encodeURIComponent(orderId)}`, processorUrl));
  const { data } = (await res.json()) as { data: Array<{ amount: number; amount_refunded: number; status: string }> };
  const ok = data.filter((c) => c.status === 'succeeded');
  return {
    charges: ok.length,
    captured: ok.reduce((s, c) => s + c.amount, 0),
    refunded: ok.reduce((s, c) => s + c.amount_refunded, 0),
  };
}

interface BusEvent {
  'detail-type': string;
  detail: { data: Record<string, unknown> };
}

/**
 * The domain events published for an order, counted by type. Polls until `expected` is met exactly (the outbox relays
 * publish shortly after each commit), then returns the counts, so a caller's toEqual shows any difference.
 */
export async function eventCounts(
  call: Call,
  orderId: string,
  expected: Record<string, number>,
  timeoutMs = 10_000,
): Promise<Record<string, number>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await call<{ events: BusEvent[] }>('GET', '/_local/events');
    const counts: Record<string, number> = Object.fromEntries(Object.keys(expected).map((k) => [k, 0]));
    for (const e of body.events)
      if (e.detail?.data?.orderId === orderId && e['detail-type'] in counts) counts[e['detail-type']]!++;
    if (Object.entries(expected).every(([k, n]) => counts[k] === n) || Date.now() > deadline) return counts;
    await new Promise((r) => setTimeout(r, 200));
  }
}

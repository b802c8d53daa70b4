import { describe, expect, it } from 'vitest';
import { type AslDefinition, readOrderSaga, taskPlaceholders } from '../saga-definition.ts';
import { type ExecutionStore, LocalSagaRunner, memoryExecutionStore, type TaskHandler } from './saga-runner.ts';

const ORDER = 'ord_test0001';
const input = {
  orderId: ORDER,
  userId: 'usr_1',
  correlationId: 'corr-1',
  lines: [{ productId: 'prd_1', quantity: 2 }],
  total: { amount: 2598, currency: 'USD' },
  paymentMethod: 'pm_card_visa',
};

class Named extends Error {
  constructor(name: string, message = name) {
    super(message);
    this.name = name;
  }
}

type Script = Partial<Record<string, (input: Record<string, unknown>, call: number) => unknown>>;

/** Stub tasks for every Task state of the real ASL file: each records its calls and does what the script says. */
function harness(
  script: Script = {},
  definition: AslDefinition = readOrderSaga(),
  store: ExecutionStore = memoryExecutionStore(),
) {
  const calls: Array<{ state: string; input: Record<string, unknown> }> = [];
  const defaults: Record<string, (i: Record<string, unknown>) => unknown> = {
    ReserveInventory: (i) => ({ orderId: i.orderId, status: 'held', lines: i.lines, expiresAt: '2030-01-01T00:00:00.000Z' }),
    CommitInventory: (i) => ({ orderId: i.orderId, status: 'committed', lines: [], expiresAt: '2030-01-01T00:00:00.000Z' }),
    ProcessPayment: () => ({ paymentId: 'pay_1', status: 'captured', brand: 'visa', last4: '4242' }),
    RefundPayment: () => ({ refunded: { amount: 2598, currency: 'USD' } }),
  };
  const tasks: Record<string, TaskHandler> = {};
  for (const state of taskPlaceholders(definition).keys()) {
    tasks[state] = async (raw) => {
      const i = raw as Record<string, unknown>;
      calls.push({ state, input: i });
      const n = calls.filter((c) => c.state === state).length;
      const step = script[state];
      if (step) return (await step(i, n)) ?? { ok: true };
      return defaults[state]?.(i) ?? { orderId: i.orderId };
    };
  }
  const runner = new LocalSagaRunner({ definition, stateMachineName: 'shop-test-order-saga', tasks, store, retryIntervalMs: 0 });
  const run = async (name = ORDER, body: unknown = input) => {
    const { executionArn } = runner.start({ name, input: JSON.stringify(body) });
    await runner.idle();
    return { ...runner.describe(executionArn), history: runner.history(executionArn) };
  };
  const states = (s?: string) => calls.filter((c) => !s || c.state === s).map((c) => c.state);
  return { runner, run, calls, states, store };
}

const FORWARD = [
  'ReserveInventory',
  'RecordInventoryReserved',
  'ProcessPayment',
  'RecordPaymentCompleted',
  'CommitInventory',
  'ConfirmOrder',
];
const cancelReason = (calls: Array<{ state: string; input: Record<string, unknown> }>) =>
  calls.find((c) => c.state === 'CancelOrder')?.input.reason;

describe('order saga ASL on the local runner', () => {
  it('confirms: every forward step once, in order, each with the input the contract names', async () => {
    const h = harness();
    const result = await h.run();
    expect(result.status).toBe('SUCCEEDED');
    expect(h.states()).toEqual(FORWARD);
    const by = (s: string) => h.calls.find((c) => c.state === s)!.input;
    expect(by('ReserveInventory')).toEqual({ orderId: ORDER, correlationId: 'corr-1', lines: input.lines });
    expect(by('ProcessPayment')).toEqual({
      orderId: ORDER,
      correlationId: 'corr-1',
      userId: 'usr_1',
      amount: input.total,
      paymentMethod: 'pm_card_visa',
    });
    expect(by('RecordPaymentCompleted')).toEqual({ orderId: ORDER, correlationId: 'corr-1', paymentId: 'pay_1' });
    expect(by('ConfirmOrder')).toEqual({ orderId: ORDER, correlationId: 'corr-1' });
    expect(JSON.parse(result.output!).payment.paymentId).toBe('pay_1');
    expect(result.history.at(-1)!.type).toBe('ExecutionSucceeded');
  });

  it('no stock: cancels at once (INSUFFICIENT_STOCK), never retried, nothing charged or released', async () => {
    const h = harness({
      ReserveInventory: () => {
        throw new Named('InsufficientStock');
      },
    });
    expect((await h.run()).status).toBe('SUCCEEDED');
    expect(h.states()).toEqual(['ReserveInventory', 'CancelOrder']);
    expect(cancelReason(h.calls)).toBe('INSUFFICIENT_STOCK');
  });

  it.each([
    ['card_declined', 'PAYMENT_DECLINED'],
    ['insufficient_funds', 'INSUFFICIENT_FUNDS'],
  ])('declined (%s): releases then cancels with %s, no retry, no refund', async (code, reason) => {
    const h = harness({
      ProcessPayment: () => {
        throw new Named('PaymentDeclined', `Payment declined: ${code}`);
      },
    });
    expect((await h.run()).status).toBe('SUCCEEDED');
    expect(h.states()).toEqual([
      'ReserveInventory',
      'RecordInventoryReserved',
      'ProcessPayment',
      'ReleaseInventory',
      'CancelOrder',
    ]);
    expect(cancelReason(h.calls)).toBe(reason);
  });

  it('a transient processor error is retried, then the order confirms; the history numbers each try', async () => {
    const h = harness({
      ProcessPayment: (_i, n) => {
        if (n < 3) throw new Named('PaymentProcessorUnavailable', 'processor 503');
        return { paymentId: 'pay_1', status: 'captured', brand: 'visa', last4: '4242' };
      },
    });
    const result = await h.run();
    expect(result.status).toBe('SUCCEEDED');
    expect(h.states('ProcessPayment')).toHaveLength(3);
    const tries = result.history.filter((e) => e.state === 'ProcessPayment' && e.type.startsWith('LambdaFunction'));
    expect(tries.map((e) => `${e.type}#${e.attempt}`)).toEqual([
      'LambdaFunctionScheduled#1',
      'LambdaFunctionStarted#1',
      'LambdaFunctionFailed#1',
      'LambdaFunctionScheduled#2',
      'LambdaFunctionStarted#2',
      'LambdaFunctionFailed#2',
      'LambdaFunctionScheduled#3',
      'LambdaFunctionStarted#3',
      'LambdaFunctionSucceeded#3',
    ]);
    const failed = tries.find((e) => e.type === 'LambdaFunctionFailed')!;
    expect(failed.lambdaFunctionFailedEventDetails).toMatchObject({ error: 'PaymentProcessorUnavailable' });
    // Entered once, exited once, around all three tries.
    expect(result.history.filter((e) => e.state === 'ProcessPayment').map((e) => e.type)[0]).toBe('TaskStateEntered');
    expect(result.history.filter((e) => e.state === 'ProcessPayment').at(-1)!.type).toBe('TaskStateExited');
  });

  it.each(['TimeoutError', 'DependencyFailed', 'States.Timeout'])(
    '%s from ReserveInventory (a store timing out under load) is retried, then the order confirms',
    async (error) => {
      const h = harness({
        ReserveInventory: (i, n) => {
          if (n === 1) throw new Named(error, 'socket did not connect within 1000 ms');
          return { orderId: i.orderId, status: 'held', expiresAt: 'x' };
        },
      });
      expect((await h.run()).status).toBe('SUCCEEDED');
      expect(h.states('ReserveInventory')).toHaveLength(2);
      expect(h.states().at(-1)).toBe('ConfirmOrder');
    },
  );

  it('a processor still unavailable after the retries: refund (a charge may have landed), release, cancel PAYMENT_FAILED', async () => {
    const h = harness({
      ProcessPayment: () => {
        throw new Named('PaymentProcessorUnavailable');
      },
    });
    expect((await h.run()).status).toBe('SUCCEEDED');
    expect(h.states('ProcessPayment')).toHaveLength(1 + readOrderSaga().States.ProcessPayment!.Retry![0]!.MaxAttempts!);
    expect(h.states().slice(-3)).toEqual(['RefundPayment', 'ReleaseInventory', 'CancelOrder']);
    expect(cancelReason(h.calls)).toBe('PAYMENT_FAILED');
  });

  it('CancelOrder is told what RefundPayment gave back (order.cancelled says refunded), and nothing on a path without a refund', async () => {
    const cancelled = harness({
      RecordPaymentCompleted: () => {
        throw new Named('OrderCancelled');
      },
    });
    await cancelled.run();
    expect(cancelled.calls.find((c) => c.state === 'CancelOrder')!.input).toMatchObject({
      reason: 'CUSTOMER_CANCELLED',
      cancel: { refund: { refunded: { amount: 2598, currency: 'USD' } } },
    });
    const declined = harness({
      ProcessPayment: () => {
        throw new Named('PaymentDeclined', 'The payment was declined: card_declined');
      },
    });
    await declined.run();
    const input = declined.calls.find((c) => c.state === 'CancelOrder')!.input;
    expect(input.reason).toBe('PAYMENT_DECLINED');
    expect((input.cancel as { refund?: unknown } | undefined)?.refund).toBeUndefined();
  });

  it('a task slower than its TimeoutSeconds times out (States.Timeout), is retried, then compensated', async () => {
    const definition = readOrderSaga();
    definition.States.ProcessPayment!.TimeoutSeconds = 1; // the file's 20 s, shortened so the test takes seconds
    const h = harness({ ProcessPayment: () => new Promise((r) => setTimeout(r, 1_500)) }, definition);
    const result = await h.run();
    expect(h.states().slice(-3)).toEqual(['RefundPayment', 'ReleaseInventory', 'CancelOrder']);
    expect(result.history.filter((e) => e.type === 'LambdaFunctionTimedOut')).toHaveLength(4);
    expect(cancelReason(h.calls)).toBe('PAYMENT_FAILED');
  }, 15_000);

  it.each([
    ['ConfirmOrder', 'InjectedFault', 'CONFIRMATION_FAILED'],
    ['ConfirmOrder', 'OrderCancelled', 'CUSTOMER_CANCELLED'],
    ['RecordPaymentCompleted', 'OrderCancelled', 'CUSTOMER_CANCELLED'],
    ['CommitInventory', 'ReservationExpired', 'CONFIRMATION_FAILED'],
  ])('%s failing with %s after the charge: refund, release, cancel (%s), in reverse order', async (state, error, reason) => {
    const h = harness({
      [state]: () => {
        throw new Named(error);
      },
    });
    expect((await h.run()).status).toBe('SUCCEEDED');
    const upTo = FORWARD.slice(0, FORWARD.indexOf(state) + 1);
    expect(h.states()).toEqual([...upTo, 'RefundPayment', 'ReleaseInventory', 'CancelOrder']);
    expect(h.calls.find((c) => c.state === 'RefundPayment')!.input.reason).toBe(reason);
    expect(cancelReason(h.calls)).toBe(reason);
  });

  it('a compensation-only execution (input.compensate) skips the forward steps: refund, release, cancel with its reason', async () => {
    const h = harness();
    const result = await h.run(`${ORDER}-compensate`, { ...input, compensate: { reason: 'CUSTOMER_CANCELLED' } });
    expect(result.status).toBe('SUCCEEDED');
    expect(h.states()).toEqual(['RefundPayment', 'ReleaseInventory', 'CancelOrder']);
    expect(h.calls.map((c) => c.input.reason)).toEqual(['CUSTOMER_CANCELLED', undefined, 'CUSTOMER_CANCELLED']);
  });

  it('a cancel that won before the charge: release and cancel, nothing charged', async () => {
    const h = harness({
      RecordInventoryReserved: () => {
        throw new Named('OrderCancelled');
      },
    });
    await h.run();
    expect(h.states()).toEqual(['ReserveInventory', 'RecordInventoryReserved', 'ReleaseInventory', 'CancelOrder']);
    expect(cancelReason(h.calls)).toBe('CUSTOMER_CANCELLED');
  });

  it('business errors are never retried, on any forward step', async () => {
    for (const state of FORWARD) {
      const h = harness({
        [state]: () => {
          throw new Named('ValidationFailed');
        },
      });
      await h.run();
      expect(h.states(state), state).toHaveLength(1);
    }
  });

  it('a compensation still failing after its retries marks the order NEEDS_ATTENTION and fails the execution', async () => {
    const h = harness({
      ConfirmOrder: () => {
        throw new Named('InjectedFault');
      },
      RefundPayment: () => {
        throw new Named('ServiceUnavailable', 'payments down');
      },
    });
    const result = await h.run();
    expect(h.states('RefundPayment')).toHaveLength(1 + readOrderSaga().States.RefundPayment!.Retry![0]!.MaxAttempts!);
    expect(h.states().slice(-1)).toEqual(['MarkNeedsAttention']);
    expect(h.calls.at(-1)!.input.error).toMatchObject({ Error: 'ServiceUnavailable' });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('CompensationFailed');
  });

  it.each(['ReleaseInventory', 'CancelOrder'])(
    '%s failing with a non-transient error goes straight to NEEDS_ATTENTION',
    async (state) => {
      const h = harness({
        ProcessPayment: () => {
          throw new Named('PaymentDeclined', 'card_declined');
        },
        [state]: () => {
          throw new Named('ValidationFailed');
        },
      });
      const result = await h.run();
      expect(h.states(state)).toHaveLength(1);
      expect(h.states().at(-1)).toBe('MarkNeedsAttention');
      expect(result.status).toBe('FAILED');
    },
  );

  it('a duplicate start (same name and input) is the same execution: one run; a different input is refused', async () => {
    const h = harness({
      ReserveInventory: () => new Promise((r) => setTimeout(() => r({ status: 'held', expiresAt: 'x' }), 50)),
    });
    const first = h.runner.start({ name: ORDER, input: JSON.stringify(input) });
    const second = h.runner.start({ name: ORDER, input: JSON.stringify(input) });
    expect(second).toEqual(first);
    expect(() => h.runner.start({ name: ORDER, input: JSON.stringify({ ...input, userId: 'usr_2' }) })).toThrow(
      expect.objectContaining({ awsType: 'ExecutionAlreadyExists' }),
    );
    await h.runner.idle();
    expect(h.states('ReserveInventory')).toHaveLength(1);
    // Closed: Step Functions refuses the name even with the same input (the relay counts that as started).
    expect(() => h.runner.start({ name: ORDER, input: JSON.stringify(input) })).toThrow(
      expect.objectContaining({ awsType: 'ExecutionAlreadyExists' }),
    );
    expect(h.runner.list().map((e) => e.name)).toEqual([ORDER]);
  });

  it('StopExecution aborts a running execution; unknown executions are ExecutionDoesNotExist', async () => {
    const h = harness({
      ReserveInventory: () => new Promise((r) => setTimeout(() => r({ status: 'held', expiresAt: 'x' }), 200)),
    });
    const { executionArn } = h.runner.start({ name: ORDER, input: JSON.stringify(input) });
    h.runner.stop(executionArn, 'Stopped', 'by a test');
    await h.runner.idle();
    expect(h.runner.describe(executionArn)).toMatchObject({ status: 'ABORTED', error: 'Stopped', cause: 'by a test' });
    expect(() => h.runner.describe(`${executionArn}x`)).toThrow(expect.objectContaining({ awsType: 'ExecutionDoesNotExist' }));
  });

  it('after a restart, executions the old process left RUNNING are known as lost (ABORTED), the rest as they ended', async () => {
    const h = harness({
      CommitInventory: (i) => (i.orderId === 'ord_stuck' ? new Promise(() => {}) : { status: 'committed', expiresAt: 'x' }),
    });
    await h.run('ord_done', { ...input, orderId: 'ord_done' });
    h.runner.start({ name: 'ord_stuck', input: JSON.stringify({ ...input, orderId: 'ord_stuck' }) });
    await new Promise((r) => setTimeout(r, 50));
    // The process dies here: a new runner reads what the old one saved.
    const next = new LocalSagaRunner({
      definition: readOrderSaga(),
      stateMachineName: 'shop-test-order-saga',
      tasks: Object.fromEntries([...taskPlaceholders(readOrderSaga()).keys()].map((s) => [s, async () => ({})])),
      store: h.store,
    });
    const lost = await next.restore();
    expect(lost.map((r) => r.name)).toEqual(['ord_stuck']);
    expect(next.get('ord_stuck')).toMatchObject({ status: 'ABORTED' });
    expect(next.get('ord_stuck')!.history.some((e) => e.state === 'ProcessPayment')).toBe(true);
    expect(next.get('ord_done')).toMatchObject({ status: 'SUCCEEDED' });
    await h.runner.close();
  });

  it('saves made while a save is in flight are coalesced: fewer writes, the last one is the final record', async () => {
    const written: Array<{ status: string; events: number }> = [];
    let inFlight = 0;
    let overlapped = false;
    const slowStore: ExecutionStore = {
      async save(record) {
        overlapped ||= inFlight > 0;
        inFlight++;
        await new Promise((r) => setTimeout(r, 5));
        written.push({ status: record.status, events: record.history.length });
        inFlight--;
      },
      loadAll: async () => [],
    };
    const h = harness({}, readOrderSaga(), slowStore);
    const final = await h.run('ord_slow_store');
    await h.runner.close();
    expect(final.status).toBe('SUCCEEDED');
    // Never two writes of one execution at once, and the last write holds the whole final history.
    expect(overlapped).toBe(false);
    expect(written.at(-1)).toEqual({ status: 'SUCCEEDED', events: final.history.length });
    // One write per state exited plus start and end, uncoalesced; the slow store was written fewer times.
    const statesExited = final.history.filter((e) => e.type.endsWith('StateExited')).length;
    expect(written.length).toBeLessThan(statesExited + 2);
  });

  it('an injected fault fails the next tries of one task, for one order or all', async () => {
    const h = harness();
    h.runner.addFault({ state: 'ConfirmOrder', times: 1, error: 'transient', orderId: ORDER });
    const result = await h.run();
    expect(result.status).toBe('SUCCEEDED');
    expect(h.states('ConfirmOrder')).toHaveLength(1); // the faulted try never reached the handler
    expect(result.history.filter((e) => e.state === 'ConfirmOrder' && e.type === 'LambdaFunctionFailed')).toHaveLength(1);
    expect(h.runner.listFaults()).toEqual([expect.objectContaining({ times: 0 })]);
  });
});

describe('order saga ASL file', () => {
  const definition = readOrderSaga();
  const retried = new Set([
    'States.Timeout',
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
    'Lambda.TooManyRequestsException',
    'PaymentProcessorUnavailable',
    'ServiceUnavailable',
    'DependencyFailed',
    // The AWS SDK's own transient failures, when a task lets one through (a DynamoDB connection timeout under load).
    'TimeoutError',
    'ThrottlingException',
    'ProvisionedThroughputExceededException',
    'RequestLimitExceeded',
    'InternalServerError',
  ]);

  it('every task has a timeout, a Resource placeholder named after its state, and retries only transient errors', () => {
    for (const [name, state] of Object.entries(definition.States).filter(([, s]) => s.Type === 'Task')) {
      expect(state.TimeoutSeconds, name).toBeGreaterThan(0);
      expect(state.Resource, name).toBe(`\${${name}}`);
      for (const r of state.Retry ?? []) {
        for (const e of r.ErrorEquals) expect(retried.has(e), `${name} retries ${e}`).toBe(true);
        expect(r.BackoffRate, name).toBeGreaterThan(1);
      }
    }
  });

  it('every compensation catches everything into MarkNeedsAttention', () => {
    for (const name of ['RefundPayment', 'ReleaseInventory', 'CancelOrder'])
      expect(definition.States[name]!.Catch).toEqual([
        expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'MarkNeedsAttention' }),
      ]);
  });

  it('uses JSONPath only (the offline runner ignores JSONata)', () => {
    expect(JSON.stringify(definition)).not.toMatch(/JSONata|"Arguments"|"Output"|\{%/);
  });
});

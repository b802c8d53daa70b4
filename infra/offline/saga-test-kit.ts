import { readOrderSaga, taskPlaceholders } from '../saga-definition.ts';
import { LocalSagaRunner, memoryExecutionStore } from './saga-runner.ts';

/** The order saga's execution input (JSON, as StartExecution takes it) for a one-line order. */
export const executionInput = (orderId: string) =>
  JSON.stringify({
    orderId,
    userId: 'usr_1',
    correlationId: 'c',
    lines: [{ productId: 'prd_1', quantity: 1 }],
    total: { amount: 100, currency: 'USD' },
    paymentMethod: 'pm_card_visa',
  });

/** A runner of the real ASL file whose every task succeeds with one answer (a held reservation, a payment id) after `before`. */
export function stubbedSagaRunner(before: (state: string, input: unknown) => Promise<void> = async () => {}) {
  const definition = readOrderSaga();
  const tasks = Object.fromEntries(
    [...taskPlaceholders(definition).keys()].map((state) => [
      state,
      async (input: unknown) => {
        await before(state, input);
        return { status: 'held', expiresAt: 'x', paymentId: 'pay_1' };
      },
    ]),
  );
  const runner = new LocalSagaRunner({
    definition,
    stateMachineName: 'shop-local-order-saga',
    tasks,
    store: memoryExecutionStore(),
    retryIntervalMs: 0,
  });
  return { runner, definition };
}

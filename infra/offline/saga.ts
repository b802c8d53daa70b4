import { join } from 'node:path';
import type { ServiceManifest } from '../../shared/service.ts';
import { catalogSagaTasks, orderSagaName, readOrderSaga, taskPlaceholders } from '../saga-definition.ts';
import { invoke } from './lambda.ts';
import { sagaLocalEndpoints } from './saga-console.ts';
import { fileExecutionStore, LocalSagaRunner, stateMachineArnOf, type TaskHandler } from './saga-runner.ts';

/** Set even while the saga is off, so the orders service starts and its relay retries the start until it is on. */
const sagaEnv = (stage: string) => ({ ORDER_SAGA_ARN: stateMachineArnOf(orderSagaName(stage)) });

/** Lambda's timeout for saga task functions (as CDK sets it); each state's TimeoutSeconds is shorter and fires first. */
const TASK_FUNCTION_TIMEOUT_SECONDS = 30;

export interface LocalSaga {
  runner: LocalSagaRunner;
  /** The env the orders functions read the state machine from. */
  env: Record<string, string>;
  endpoints: ReturnType<typeof sagaLocalEndpoints>;
  /** Executions the previous process left running (now ABORTED), for the log line. */
  lost: string[];
}

/**
 * The order saga offline: the same ASL file, each task bound to the catalog's handler through lambda.ts invoke,
 * executions saved under DATA_DIR/saga. Undefined (with the reason) while a task has no handler in the catalog yet.
 */
export async function startLocalSaga(
  services: ServiceManifest[],
  dataDir: string,
  stage = 'local',
): Promise<LocalSaga | { missing: string[]; env: Record<string, string> }> {
  const definition = readOrderSaga();
  const declared = catalogSagaTasks(services);
  const missing = [...taskPlaceholders(definition).values()].filter((p) => !p || !declared.has(p)) as string[];
  if (missing.length) return { missing, env: sagaEnv(stage) };
  const tasks: Record<string, TaskHandler> = {};
  for (const [state, placeholder] of taskPlaceholders(definition)) {
    const { service, handler } = declared.get(placeholder!)!;
    tasks[state] = (input) => invoke(service, handler, input, TASK_FUNCTION_TIMEOUT_SECONDS);
  }
  const runner = new LocalSagaRunner({
    definition,
    stateMachineName: orderSagaName(stage),
    tasks,
    store: fileExecutionStore(join(dataDir, 'saga', 'executions')),
  });
  const lost = await runner.restore();
  return {
    runner,
    env: sagaEnv(stage),
    endpoints: sagaLocalEndpoints(runner, definition),
    lost: lost.map((r) => r.name),
  };
}

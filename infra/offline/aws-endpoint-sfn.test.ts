import type { AddressInfo } from 'node:net';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsEndpoint, stepFunctionsOperations } from './aws-endpoint.ts';
import { executionInput, stubbedSagaRunner } from './saga-test-kit.ts';

// The real SDK client against the local endpoint: what the orders service's adapter sends offline.
describe('local AWS endpoint: Step Functions API', () => {
  let gate: () => void = () => {};
  const held = new Promise<void>((r) => {
    gate = r;
  });
  const { runner } = stubbedSagaRunner(async (state, i) => {
    if (state === 'ReserveInventory' && (i as { orderId: string }).orderId === 'ord_held') await held;
  });
  const server = createAwsEndpoint(stepFunctionsOperations(runner));
  let sfn: SFNClient;

  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    sfn = new SFNClient({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });
  afterAll(async () => {
    gate();
    await runner.close();
    server.close();
  });

  it('starts, describes, lists and reads the history of an execution', async () => {
    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: runner.stateMachineArn, name: 'ord_sdk1', input: executionInput('ord_sdk1') }),
    );
    expect(started.executionArn).toBe('arn:aws:states:us-east-1:000000000000:execution:shop-local-order-saga:ord_sdk1');
    expect(started.startDate).toBeInstanceOf(Date);
    await runner.idle();
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(described).toMatchObject({ status: 'SUCCEEDED', name: 'ord_sdk1', input: executionInput('ord_sdk1') });
    expect(described.stopDate!.getTime()).toBeGreaterThanOrEqual(described.startDate!.getTime());
    const listed = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: runner.stateMachineArn, statusFilter: 'SUCCEEDED' }),
    );
    expect(listed.executions?.map((e) => e.name)).toContain('ord_sdk1');
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: started.executionArn, maxResults: 1000 }));
    const types = history.events!.map((e) => e.type);
    expect(types[0]).toBe('ExecutionStarted');
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    expect(types).toContain('LambdaFunctionScheduled');
    const entered = history.events!.find((e) => e.type === 'TaskStateEntered')!;
    expect(entered.stateEnteredEventDetails?.name).toBe('ReserveInventory');
    expect(entered.timestamp).toBeInstanceOf(Date);
  });

  it('a duplicate start while it runs is the same execution; another input is ExecutionAlreadyExists; stop aborts', async () => {
    const a = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: runner.stateMachineArn, name: 'ord_held', input: executionInput('ord_held') }),
    );
    const b = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: runner.stateMachineArn, name: 'ord_held', input: executionInput('ord_held') }),
    );
    expect(b.executionArn).toBe(a.executionArn);
    await expect(
      sfn.send(
        new StartExecutionCommand({
          stateMachineArn: runner.stateMachineArn,
          name: 'ord_held',
          input: executionInput('ord_other'),
        }),
      ),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: a.executionArn }))).status).toBe('RUNNING');
    await sfn.send(new StopExecutionCommand({ executionArn: a.executionArn, error: 'Test', cause: 'stopped' }));
    await runner.idle();
    expect(await sfn.send(new DescribeExecutionCommand({ executionArn: a.executionArn }))).toMatchObject({
      status: 'ABORTED',
      error: 'Test',
    });
    await expect(sfn.send(new DescribeExecutionCommand({ executionArn: `${a.executionArn}-nope` }))).rejects.toBeInstanceOf(
      ExecutionDoesNotExist,
    );
  });
});

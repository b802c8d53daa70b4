import { CreateStateMachineCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { newId } from '../../../shared/ids.ts';
import type { SagaInput } from '../domain/ports.ts';
import { executionArn, SfnSagaStarter } from './sfn-saga.ts';

// The SagaStarter adapter against moto_server's Step Functions: an AWS API peer we did not write.
const client = new SFNClient({
  endpoint: inject('motoUrl'),
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
let stateMachineArn = '';
let saga: SfnSagaStarter;

const input = (orderId: string): SagaInput => ({
  orderId,
  userId: newId('usr'),
  correlationId: 'c',
  lines: [{ productId: newId('prd'), quantity: 1 }],
  total: { amount: 100, currency: 'USD' },
  paymentMethod: 'pm_card_visa',
});

beforeAll(async () => {
  const created = await client.send(
    new CreateStateMachineCommand({
      name: `orders-contract-${Date.now()}`,
      roleArn: 'arn:aws:iam::123456789012:role/sfn',
      definition: JSON.stringify({ StartAt: 'Wait', States: { Wait: { Type: 'Wait', Seconds: 60, End: true } } }),
    }),
  );
  stateMachineArn = created.stateMachineArn!;
  saga = new SfnSagaStarter(client, stateMachineArn);
});

describe('SfnSagaStarter on the Step Functions API', () => {
  it('starts an execution named by the order; a second start of the name is one execution', async () => {
    const orderId = newId('ord');
    expect(await saga.start(orderId, input(orderId))).toBe('started');
    expect(await saga.start(orderId, { ...input(orderId), correlationId: 'other' })).toBe('already-started');
    expect(await saga.describe(orderId)).toBe('RUNNING');
  });

  it('describes an unknown name as NOT_FOUND and a stopped one as ABORTED', async () => {
    expect(await saga.describe(newId('ord'))).toBe('NOT_FOUND');
    const orderId = newId('ord');
    await saga.start(orderId, input(orderId));
    await client.send(new StopExecutionCommand({ executionArn: executionArn(stateMachineArn, orderId) }));
    expect(await saga.describe(orderId)).toBe('ABORTED');
  });
});

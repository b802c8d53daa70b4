import { CreateEventBusCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import * as z from 'zod';
import { LocalEventBus, toEventBridgeEvent } from '../../infra/offline/event-bus.ts';
import { resetConfig } from '../config.ts';
import { createEvent } from './envelope.ts';
import { EventBridgePublisher, PublishFailed } from './publisher.ts';
import { registerEvents } from './registry.ts';

const endpoint = inject('motoUrl');
const aws = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
const eventBridge = new EventBridgeClient(aws);
const sqs = new SQSClient(aws);
const busName = `contract-${Date.now()}`;
let queueUrl = '';

registerEvents('contract', { 'contract.order.placed': z.object({ orderId: z.string(), total: z.number().int() }) });

beforeAll(async () => {
  Object.assign(process.env, {
    EVENTBRIDGE_ENDPOINT: endpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    EVENT_BUS_NAME: busName,
  });
  resetConfig();
  await eventBridge.send(new CreateEventBusCommand({ Name: busName }));
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: busName }))).QueueUrl!;
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] })))
    .Attributes!.QueueArn!;
  // The same rule shape CDK builds for a subscription: source prefix shop., a list of detail-types, an SQS target.
  await eventBridge.send(
    new PutRuleCommand({
      Name: 'orders-to-queue',
      EventBusName: busName,
      EventPattern: JSON.stringify({ source: [{ prefix: 'shop.' }], 'detail-type': ['contract.order.placed'] }),
    }),
  );
  await eventBridge.send(
    new PutTargetsCommand({ Rule: 'orders-to-queue', EventBusName: busName, Targets: [{ Id: 'queue', Arn: queueArn }] }),
  );
});

async function receiveAll(): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = [];
  for (let i = 0; i < 5; i++) {
    const res = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    for (const m of res.Messages ?? []) out.push(JSON.parse(m.Body!));
    if (out.length) break;
  }
  return out;
}

describe('EventBridgePublisher against an EventBridge API peer (moto)', () => {
  it('delivers the envelope as detail, with source and detail-type, through a rule to SQS', async () => {
    const event = createEvent('contract', 'contract.order.placed', { orderId: 'ord_1', total: 1299 }, 'corr-1');
    await new EventBridgePublisher().publish([event]);
    const [message] = await receiveAll();
    expect(message).toMatchObject({ source: 'shop.contract', 'detail-type': 'contract.order.placed', detail: event });
  });

  it('sends more than ten events in batches of ten (the PutEvents limit)', async () => {
    const events = Array.from({ length: 23 }, (_, i) =>
      createEvent('contract', 'contract.order.placed', { orderId: `ord_${i}`, total: i }, 'c'),
    );
    await new EventBridgePublisher().publish(events);
    const seen: string[] = [];
    for (let i = 0; i < 10 && seen.length < 23; i++)
      for (const m of await receiveAll()) seen.push((m.detail as { id: string }).id);
    expect(seen.sort()).toEqual(events.map((e) => e.id).sort());
  });

  it('validates before sending: an event that breaks its schema never reaches the bus, and holds back no other', async () => {
    const bad = createEvent('contract', 'contract.order.placed', { orderId: 'x', total: 1.5 }, 'c');
    const good = createEvent('contract', 'contract.order.placed', { orderId: 'ord_ok', total: 3 }, 'c');
    const error = await new EventBridgePublisher().publish([bad, good]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishFailed);
    expect((error as PublishFailed).published).toEqual([good.id]);
    expect((error as PublishFailed).failed).toEqual([
      { id: bad.id, reason: expect.stringMatching(/Invalid contract.order.placed/), permanent: true },
    ]);
    expect((await receiveAll()).map((m) => (m.detail as { id: string }).id)).toEqual([good.id]);
  });

  it('reports every event as failed when the bus does not exist, so an outbox keeps them', async () => {
    const event = createEvent('contract', 'contract.order.placed', { orderId: 'ord_9', total: 1 }, 'c');
    const error = await new EventBridgePublisher('no-such-bus').publish([event]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishFailed);
    expect((error as PublishFailed).failed.map((f) => f.id)).toEqual([event.id]);
  });

  it('hands subscribers the same SQS message shape offline as EventBridge does', async () => {
    const event = createEvent('contract', 'contract.order.placed', { orderId: 'ord_2', total: 5 }, 'c');
    await new EventBridgePublisher().publish([event]);
    const [fromAws] = await receiveAll();
    const bus = new LocalEventBus([]);
    bus.put([{ Source: event.source, DetailType: event.type, Detail: JSON.stringify(event) }]);
    const offlineBody = toEventBridgeEvent(bus.log[0]!);
    // Everything the peer sends, the offline bus sends too (moto omits `account`, which EventBridge includes).
    expect(Object.keys(offlineBody)).toEqual(expect.arrayContaining(Object.keys(fromAws!)));
    expect(offlineBody.detail).toEqual(fromAws!.detail);
  });
});

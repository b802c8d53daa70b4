import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import '../../../shared/events/index.ts';
import { orderConfirmed, registered, sqsRecord } from '../test-support.ts';
import { parseRecord, sqsBatchHandler } from './sqs-batch.ts';

describe('parseRecord', () => {
  it('returns the envelope of a valid event, validated against its registered schema', () => {
    const event = registered('usr_01k9z8x7w6v5t4s3r2q1p0n9m8');
    expect(parseRecord(sqsRecord(event))).toEqual(event);
  });

  it.each([
    ['a body that is not JSON', (r: ReturnType<typeof sqsRecord>) => ({ ...r, body: '{' }), 'not JSON'],
    [
      'a body that is not an EventBridge event',
      (r: ReturnType<typeof sqsRecord>) => ({ ...r, body: '{"a":1}' }),
      'Not an EventBridge event',
    ],
    [
      'an envelope of another type than the rule matched',
      (r: ReturnType<typeof sqsRecord>) => ({
        ...r,
        body: r.body.replace('"detail-type":"user.registered"', '"detail-type":"user.updated"'),
      }),
      'the rule user.updated',
    ],
    [
      'data that fails the registered schema',
      (r: ReturnType<typeof sqsRecord>) => ({ ...r, body: r.body.replace('"role":"customer"', '"role":"root"') }),
      'Invalid user.registered event',
    ],
  ])('refuses %s (a poison message)', (_name, spoil, message) => {
    expect(() => parseRecord(spoil(sqsRecord(registered('usr_01k9z8x7w6v5t4s3r2q1p0n9m8'))) as never)).toThrow(message);
  });
});

describe('sqsBatchHandler', () => {
  it('reports exactly the records that failed, and hands every other one to the handler once', async () => {
    const seen: string[] = [];
    const handler = sqsBatchHandler(async (envelope) => {
      seen.push(envelope.id);
      if (envelope.type === 'order.confirmed') throw new Error('provider down');
    });
    const good = registered('usr_01k9z8x7w6v5t4s3r2q1p0n9m8');
    const failing = orderConfirmed('usr_01k9z8x7w6v5t4s3r2q1p0n9m8');
    const records = [sqsRecord(good, 'm1'), { ...sqsRecord(good, 'm2'), body: 'nope' }, sqsRecord(failing, 'm3', 3)];
    const response = await handler({ Records: records } as SQSEvent);
    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['m2', 'm3']);
    expect(seen).toEqual([good.id, failing.id]);
  });
});

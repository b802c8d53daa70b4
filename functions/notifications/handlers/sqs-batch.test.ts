import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { logger } from '../../../shared/observability.ts';
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

  it('logs the reason as an error on the last receive (the DLQ is next) and as a warning before', async () => {
    const error = vi.spyOn(logger, 'error').mockImplementation(() => {});
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => {});
    const handler = sqsBatchHandler(async () => {
      throw new Error('provider down');
    });
    const event = registered('usr_01k9z8x7w6v5t4s3r2q1p0n9m8');
    await handler({ Records: [sqsRecord(event, 'early', 1), sqsRecord(event, 'last', 3)] } as SQSEvent);
    expect(warn).toHaveBeenCalledWith('message failed; it will be retried', expect.objectContaining({ messageId: 'early' }));
    expect(error).toHaveBeenCalledWith(
      'message failed for the last time; it goes to the DLQ',
      expect.objectContaining({ messageId: 'last', receives: 3, reason: 'Error: provider down' }),
    );
    error.mockRestore();
    warn.mockRestore();
  });
});

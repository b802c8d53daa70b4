import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { LocalEventBus } from './event-bus.ts';

export type AwsOperation = (body: Record<string, unknown>) => Promise<unknown> | unknown;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A local AWS JSON-protocol endpoint, so the services' real AWS SDK adapters run offline unchanged
 * (EVENTBRIDGE_ENDPOINT / SFN_ENDPOINT point here, as they would point at LocalStack).
 * Operations are keyed by X-Amz-Target, e.g. `AWSEvents.PutEvents`.
 */
export function createAwsEndpoint(operations: Record<string, AwsOperation>): Server {
  return createServer(async (req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(body));
    };
    const operation = operations[target];
    if (!operation)
      return reply(400, {
        __type: 'UnknownOperationException',
        message: `Operation ${target || '(none)'} is not emulated offline`,
      });
    try {
      const raw = await readBody(req);
      reply(200, await operation(raw ? JSON.parse(raw) : {}));
    } catch (error) {
      const e = error as Error & { awsType?: string };
      reply(400, { __type: e.awsType ?? 'ValidationException', message: e.message });
    }
  });
}

export function eventBridgeOperations(bus: LocalEventBus): Record<string, AwsOperation> {
  return {
    'AWSEvents.PutEvents': (body) => {
      const entries = (body.Entries as Array<Record<string, unknown>>) ?? [];
      if (!entries.length || entries.length > 10) throw new Error('PutEvents takes 1 to 10 entries');
      const results = bus.put(
        entries.map((e) => ({
          Source: String(e.Source ?? ''),
          DetailType: String(e.DetailType ?? ''),
          Detail: String(e.Detail ?? ''),
          EventBusName: e.EventBusName as string | undefined,
          // The SDK sends Time as epoch seconds.
          Time: typeof e.Time === 'number' ? e.Time * 1000 : undefined,
        })),
      );
      return { FailedEntryCount: results.filter((r) => r.ErrorCode).length, Entries: results };
    },
  };
}

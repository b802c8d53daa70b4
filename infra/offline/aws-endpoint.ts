import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { LocalEventBus } from './event-bus.ts';
import { AwsError, type ExecutionStatus, type LocalSagaRunner } from './saga-runner.ts';

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

const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);
const page = <T>(items: T[], body: Record<string, unknown>, key: string, defaultMax = 100) => {
  const max = Math.min(Number(body.maxResults) || defaultMax, 1000);
  const from = Number(body.nextToken ?? 0) || 0;
  const slice = items.slice(from, from + max);
  return { [key]: slice, nextToken: from + max < items.length ? String(from + max) : undefined };
};

/** Step Functions' API over the offline saga runner, so the orders service's @aws-sdk/client-sfn adapter runs unchanged. */
export function stepFunctionsOperations(runner: LocalSagaRunner): Record<string, AwsOperation> {
  return {
    'AWSStepFunctions.StartExecution': (body) => {
      const started = runner.start({
        stateMachineArn: body.stateMachineArn as string,
        name: body.name as string | undefined,
        input: body.input as string | undefined,
      });
      return { executionArn: started.executionArn, startDate: seconds(started.startDate) };
    },
    'AWSStepFunctions.DescribeExecution': (body) => {
      const e = runner.describe(String(body.executionArn ?? ''));
      return { ...e, startDate: seconds(e.startDate), stopDate: seconds(e.stopDate) };
    },
    'AWSStepFunctions.StopExecution': (body) => {
      const stopped = runner.stop(
        String(body.executionArn ?? ''),
        body.error as string | undefined,
        body.cause as string | undefined,
      );
      return { stopDate: seconds(stopped.stopDate) };
    },
    'AWSStepFunctions.ListExecutions': (body) => {
      if (body.stateMachineArn !== runner.stateMachineArn)
        throw new AwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(body.stateMachineArn)}'`);
      const executions = runner
        .list(body.statusFilter as ExecutionStatus | undefined)
        .map((e) => ({ ...e, startDate: seconds(e.startDate), stopDate: seconds(e.stopDate) }));
      return page(executions, body, 'executions');
    },
    'AWSStepFunctions.GetExecutionHistory': (body) => {
      const events = runner.history(String(body.executionArn ?? '')).map(({ state: _s, attempt: _a, ...e }) => {
        const event: Record<string, unknown> = { ...e, timestamp: seconds(e.timestamp) };
        // includeExecutionData=false leaves out inputs and outputs, as in AWS.
        if (body.includeExecutionData === false)
          for (const v of Object.values(event))
            if (v && typeof v === 'object') for (const k of ['input', 'output']) delete (v as Record<string, unknown>)[k];
        return event;
      });
      return page(body.reverseOrder ? events.reverse() : events, body, 'events', 1000);
    },
  };
}

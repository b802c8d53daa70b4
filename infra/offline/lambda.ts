import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { cachedBy } from '../../shared/cache.ts';
import { functionId } from '../../shared/service.ts';
import { repoRoot } from './engines/index.ts';

// biome-ignore lint/suspicious/noExplicitAny: handlers of every event type pass through here
export type AnyHandler = (event: any, context: Context) => Promise<any>;

const modules = cachedBy(async (key: string) => {
  const m = (await import(join(repoRoot, 'functions', `${key}.ts`))) as { handler?: AnyHandler };
  if (typeof m.handler !== 'function') throw new Error(`functions/${key}.ts exports no handler`);
  return m.handler;
});

/** Loads `functions/<service>/<handler>.ts` once, as a Lambda container loads its bundle once. */
export function loadHandler(service: string, handler: string): Promise<AnyHandler> {
  return modules.get(`${service}/${handler}`);
}

export class InvocationTimeout extends Error {}

type InvocationListener = (service: string, handler: string, event: unknown) => void;
const invocationListeners = new Set<InvocationListener>();
/** Told after every invocation ends, however it ended (the runtime wakes the service's outbox relay with it). */
export function onInvocation(listener: InvocationListener): () => void {
  invocationListeners.add(listener);
  return () => invocationListeners.delete(listener);
}

/** Invokes a handler the way Lambda does: with a context and a hard timeout. */
export async function invoke<T>(service: string, handler: string, event: unknown, timeoutSeconds = 10): Promise<T> {
  const fn = await loadHandler(service, handler);
  const deadline = Date.now() + timeoutSeconds * 1000;
  const name = `shop-${functionId(service, handler)}`;
  const context: Context = {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'offline',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      fn(event, context) as Promise<T>,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new InvocationTimeout(`${name} timed out after ${timeoutSeconds} s`)),
          timeoutSeconds * 1000,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
    for (const listener of invocationListeners) listener(service, handler, event);
  }
}

import type { Server } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createAwsEndpoint, eventBridgeOperations } from '../../infra/offline/aws-endpoint.ts';
import { LocalEventBus } from '../../infra/offline/event-bus.ts';
import { resetConfig } from '../../shared/config.ts';
import type { EventEnvelope } from '../../shared/events/envelope.ts';
import type { HttpLambda } from '../../shared/http/handler.ts';

/** A local EventBridge endpoint for integration tests: the real publisher sends to it over HTTP. */
export async function startLocalBus(): Promise<{ events(): EventEnvelope[]; stop(): Promise<void> }> {
  const bus = new LocalEventBus([]);
  const server: Server = createAwsEndpoint(eventBridgeOperations(bus));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  process.env.EVENTBRIDGE_ENDPOINT = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  resetConfig();
  return {
    events: () => bus.log.map((e) => e.detail as EventEnvelope),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface Call {
  path?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  role?: 'admin' | 'customer';
}

/** Invokes an HTTP handler with the event API Gateway would send, the authorizer's context included. */
// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field in tests
export async function invokeHttp(handler: HttpLambda, call: Call = {}): Promise<{ status: number; body: any }> {
  const event = {
    resource: '/products',
    path: '/products',
    httpMethod: 'GET',
    headers: call.body === undefined ? {} : { 'content-type': 'application/json' },
    multiValueHeaders: {},
    queryStringParameters: call.query ?? null,
    multiValueQueryStringParameters: null,
    pathParameters: call.path ?? null,
    stageVariables: null,
    body: call.body === undefined ? null : JSON.stringify(call.body),
    isBase64Encoded: false,
    requestContext: {
      requestId: `req-${Math.random()}`,
      authorizer: call.role ? { userId: `usr_${call.role}`, role: call.role } : null,
      identity: { sourceIp: '127.0.0.1' },
    },
  } as unknown as APIGatewayProxyEvent;
  const result: APIGatewayProxyResult = await handler(event, { awsRequestId: 'test', functionName: 'test' } as Context);
  return { status: result.statusCode, body: result.body ? JSON.parse(result.body) : undefined };
}

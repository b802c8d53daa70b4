import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { MockPaymentProcessor } from './domain/processor.ts';

/**
 * The mock processor in AWS: its own function behind a Lambda Function URL, outside the platform's API. Its ledger lives in
 * the container (CDK gives it a reserved concurrency of 1, so there is one); it is a stand-in, not a store. No fault
 * controls here: those are offline only.
 */
const processor = new MockPaymentProcessor();

export const handler = async (event: LambdaFunctionURLEvent): Promise<LambdaFunctionURLResult> => {
  const raw = event.body ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body) : '';
  let body: unknown;
  try {
    body = raw ? JSON.parse(raw) : undefined;
  } catch {
    return json(400, { error: { type: 'invalid_request_error', code: 'parameter_invalid', message: 'Bad JSON' } });
  }
  const response = await processor.handle({
    method: event.requestContext.http.method,
    path: event.rawPath,
    query: event.queryStringParameters ?? {},
    idempotencyKey: event.headers['idempotency-key'],
    body,
  });
  if (response.delayMs) await new Promise((resolve) => setTimeout(resolve, response.delayMs));
  return json(response.status, response.body);
};

const json = (statusCode: number, body: unknown): LambdaFunctionURLResult => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

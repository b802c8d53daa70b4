import type { ZodError } from 'zod';
import {
  AppError,
  BadRequest,
  Conflict,
  DependencyFailed,
  Forbidden,
  NotFound,
  PayloadTooLarge,
  TooManyRequests,
  Unauthorized,
  Unprocessable,
  UnsupportedMediaType,
  ValidationFailed,
} from '../errors.ts';

/** The one body every error response has: `{ error: { code, message, details?, requestId? } }`. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown; requestId?: string };
}

const statusByType: Array<[new (...args: never[]) => AppError, number]> = [
  [ValidationFailed, 400],
  [BadRequest, 400],
  [Unauthorized, 401],
  [Forbidden, 403],
  [NotFound, 404],
  [Conflict, 409],
  [PayloadTooLarge, 413],
  [UnsupportedMediaType, 415],
  [Unprocessable, 422],
  [TooManyRequests, 429],
  [DependencyFailed, 503],
];

export function statusOf(error: AppError): number {
  for (const [type, status] of statusByType) if (error instanceof type) return status;
  return 500;
}

export function zodIssues(error: ZodError): Array<{ path: string; message: string; code: string }> {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message, code: issue.code }));
}

export interface MappedError {
  statusCode: number;
  headers: Record<string, string>;
  body: ErrorBody;
  expose: boolean;
}

/** Maps anything thrown to a response. Unknown errors become an opaque 500: their text never leaks. */
export function mapError(error: unknown, requestId?: string): MappedError {
  if (error instanceof AppError) {
    const headers: Record<string, string> = {};
    if (error instanceof TooManyRequests) headers['Retry-After'] = String(Math.max(1, Math.ceil(error.retryAfterSeconds)));
    return {
      statusCode: statusOf(error),
      headers,
      expose: true,
      body: { error: { code: error.code, message: error.message, details: error.details, requestId } },
    };
  }
  return {
    statusCode: 500,
    headers: {},
    expose: false,
    body: { error: { code: 'INTERNAL', message: 'Internal server error', requestId } },
  };
}

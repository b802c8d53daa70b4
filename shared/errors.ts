// Typed domain errors. They carry no HTTP knowledge; shared/http/errors.ts maps them to responses in one place.
export type ErrorDetails = Record<string, unknown> | Array<Record<string, unknown>>;

export abstract class AppError extends Error {
  abstract readonly code: string;
  readonly details?: ErrorDetails;
  constructor(message: string, details?: ErrorDetails) {
    super(message);
    this.name = new.target.name;
    this.details = details;
  }
}

export class ValidationFailed extends AppError {
  readonly code = 'VALIDATION_FAILED';
}
export class BadRequest extends AppError {
  readonly code = 'BAD_REQUEST';
}
export class Unauthorized extends AppError {
  readonly code = 'UNAUTHORIZED';
}
export class Forbidden extends AppError {
  readonly code = 'FORBIDDEN';
}
export class NotFound extends AppError {
  readonly code = 'NOT_FOUND';
}
export class Conflict extends AppError {
  readonly code = 'CONFLICT';
}
export class PayloadTooLarge extends AppError {
  readonly code = 'PAYLOAD_TOO_LARGE';
}
export class UnsupportedMediaType extends AppError {
  readonly code = 'UNSUPPORTED_MEDIA_TYPE';
}
export class TooManyRequests extends AppError {
  readonly code = 'TOO_MANY_REQUESTS';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    details?: ErrorDetails,
  ) {
    super(message, details);
  }
}
/** A business rule said no (e.g. not enough stock). */
export class Unprocessable extends AppError {
  readonly code: string;
  constructor(code: string, message: string, details?: ErrorDetails) {
    super(message, details);
    this.code = code;
  }
}
/** A dependency (database, another service) failed or timed out; the caller may retry. */
export class DependencyFailed extends AppError {
  readonly code = 'DEPENDENCY_FAILED';
}

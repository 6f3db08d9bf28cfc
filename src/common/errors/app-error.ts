import { HttpException } from '@nestjs/common';
import { ERROR_CATALOGUE, type ErrorBody, type ErrorCode } from '../../contracts';

/**
 * The one error type services throw. REST turns it into `{ error }` with the catalogue's
 * HTTP status; gateways into a failed ack (or an `exception` event).
 */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string = ERROR_CATALOGUE[code].message,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }

  get status(): number {
    return ERROR_CATALOGUE[this.code].status;
  }

  toBody(): ErrorBody {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static badRequest(message: string, details?: unknown) {
    return new AppError('BAD_REQUEST', message, details);
  }
  static unauthorized(message = 'Authentication required') {
    return new AppError('UNAUTHORIZED', message);
  }
  static forbidden(message = 'Not allowed') {
    return new AppError('FORBIDDEN', message);
  }
  static notFound(message = 'Not found') {
    return new AppError('NOT_FOUND', message);
  }
  static conflict(message: string, details?: unknown) {
    return new AppError('CONFLICT', message, details);
  }
  /** A configured per-user/socket/session cap is reached: FORBIDDEN with `details.limit`. */
  static limitReached(what: string, limit: number) {
    return new AppError('FORBIDDEN', `Limit reached: at most ${limit} ${what}`, { limit });
  }
}

const STATUS_TO_CODE: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  429: 'RATE_LIMITED',
};

/**
 * Maps anything thrown to the catalogue. Unknown errors become INTERNAL with a generic
 * message so no stack or driver text ever reaches a client; `internal` tells the caller to log it.
 */
export function toAppError(error: unknown): { error: AppError; internal: boolean } {
  if (error instanceof AppError) return { error, internal: false };
  if (error instanceof HttpException) {
    const code = STATUS_TO_CODE[error.getStatus()];
    if (code) return { error: new AppError(code, ERROR_CATALOGUE[code].message), internal: false };
  }
  // body-parser and similar middleware errors carry an HTTP status of their own.
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && STATUS_TO_CODE[status]) {
    const code = STATUS_TO_CODE[status];
    return { error: new AppError(code, ERROR_CATALOGUE[code].message), internal: false };
  }
  return { error: new AppError('INTERNAL'), internal: true };
}

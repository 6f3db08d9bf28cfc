import { HttpException } from '@nestjs/common';
import { ERROR_CATALOGUE, ERROR_REASONS, type ErrorBody, type ErrorCode, type ErrorReason, type ErrorReasonDetails } from '../../contracts';

/** The arguments after the reason: its typed details first when the reason has any, then an optional message. */
type ReasonArgs<R extends ErrorReason> = R extends keyof ErrorReasonDetails
  ? [details: ErrorReasonDetails[R], message?: string]
  : [message?: string];

/**
 * The one error type services throw, always with a named reason (contracts/errors.ts): REST
 * turns it into `{ error }` with the code's HTTP status, gateways into a failed ack (or an
 * `exception` event). `AppError.of('LIMIT_REACHED', { limit })` — the details a reason carries
 * are typed.
 */
export class AppError extends Error {
  readonly code: ErrorCode;

  private constructor(
    readonly reason: ErrorReason,
    message: string | undefined,
    readonly details?: unknown,
  ) {
    super(message ?? ERROR_REASONS[reason].message);
    this.name = 'AppError';
    this.code = ERROR_REASONS[reason].code;
  }

  static of<R extends ErrorReason>(reason: R, ...args: ReasonArgs<R>): AppError {
    const [first, second] = args as [unknown, string | undefined];
    return reason in DETAILED ? new AppError(reason, second, first) : new AppError(reason, first as string | undefined);
  }

  get status(): number {
    return ERROR_CATALOGUE[this.code].status;
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { code: this.code, reason: this.reason, message: this.message };
    if (this.details !== undefined) body.details = this.details;
    return body;
  }

  /** A configured cap is reached (LIMIT_REACHED, `details.limit`), with what it limits in the message. */
  static limitReached(what: string, limit: number): AppError {
    return AppError.of('LIMIT_REACHED', { limit }, `Limit reached: at most ${limit} ${what}`);
  }

  /** A payload field is wrong (INVALID_PAYLOAD); the message names it, `details` lists each field. */
  static invalid(message: string, details: ErrorReasonDetails['INVALID_PAYLOAD']): AppError {
    return AppError.of('INVALID_PAYLOAD', details, message);
  }
}

/** The reasons whose first argument is their details (mirrors ErrorReasonDetails at run time). */
const DETAILED: Record<keyof ErrorReasonDetails, true> = {
  INVALID_PAYLOAD: true,
  LIMIT_REACHED: true,
  RATE_LIMITED: true,
  MODAL_HELD: true,
  USERS_NOT_FOUND: true,
};

/** What an HTTP status from Nest or a middleware (body-parser) means in the catalogue. */
const STATUS_TO_REASON: Record<number, ErrorReason> = {
  400: 'INVALID_PAYLOAD',
  401: 'AUTH_REQUIRED',
  403: 'FORBIDDEN',
  404: 'ROUTE_NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  429: 'RATE_LIMITED',
};

function fromStatus(status: number): AppError | undefined {
  const reason = STATUS_TO_REASON[status];
  if (!reason) return undefined;
  // A body that is not JSON (body-parser) is the payload's fault as a whole.
  if (reason === 'INVALID_PAYLOAD') return AppError.of('INVALID_PAYLOAD', [{ field: '(root)', errors: ['the body is not valid JSON'] }]);
  return AppError.of(reason as Exclude<ErrorReason, keyof ErrorReasonDetails>);
}

/**
 * Maps anything thrown to the catalogue. Unknown errors become INTERNAL with a generic
 * message so no stack or driver text ever reaches a client; `internal` tells the caller to log it.
 */
export function toAppError(error: unknown): { error: AppError; internal: boolean } {
  if (error instanceof AppError) return { error, internal: false };
  const status = error instanceof HttpException ? error.getStatus() : (error as { status?: unknown } | null)?.status;
  const known = typeof status === 'number' ? fromStatus(status) : undefined;
  if (known) return { error: known, internal: false };
  return { error: AppError.of('INTERNAL'), internal: true };
}

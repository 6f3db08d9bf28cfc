import { Logger } from '@nestjs/common';
import type { AckError, ErrorBody } from '../contracts';
import { toAppError, AppError } from '../common/errors/app-error';
import type { AppSocket } from './socket.types';

const logger = new Logger('WS');

/**
 * The one place a failure of a client event is shaped: anything thrown becomes the catalogue's
 * `{ code, message, details? }` (never a stack or driver text), and an unexpected error is logged
 * with the connection's ids so it can be tied to the client's report.
 */
export function eventFailure(error: unknown, socket: AppSocket, event: string): AckError {
  const { error: appError, internal } = toAppError(error);
  if (internal) {
    const { sessionId, user } = socket.data ?? {};
    logger.error({ event, socketId: socket.id, sessionId, userId: user?.id, err: error }, `unhandled error in "${event}"`);
  }
  return { ok: false, error: appError.toBody() };
}

/** A failure the plumbing itself answers (rate limit, unknown event). */
export function plainFailure(error: AppError): AckError {
  return { ok: false, error: error.toBody() };
}

/**
 * The `connect_error` of a refused handshake: "unauthorized" (UNAUTHORIZED / TOKEN_EXPIRED),
 * "forbidden" (a cap such as MAX_CONNECTIONS_PER_USER, with `details.limit`), or "unavailable".
 */
export function handshakeFailure(appError: AppError): Error & { data: ErrorBody } {
  const { code } = appError;
  const message = code === 'TOKEN_EXPIRED' || code === 'UNAUTHORIZED' ? 'unauthorized' : code === 'FORBIDDEN' ? 'forbidden' : 'unavailable';
  const err = new Error(message) as Error & { data: ErrorBody };
  // Anything else (a dependency down, a bug) says only that the service cannot accept connections now.
  err.data = message === 'unavailable' ? AppError.of('UNAVAILABLE').toBody() : appError.toBody();
  return err;
}

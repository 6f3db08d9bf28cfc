import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { AckError, ExceptionEvent } from '../contracts';
import { toAppError } from '../common/errors/app-error';
import type { AppSocket } from './socket.types';

/**
 * Turns anything a handler throws into the failure envelope. The adapter always passes a reply
 * function, which acks or emits `exception` (PROTOCOL §1); the direct emit is a fallback only.
 * Handler args are [socket, payload, reply, pattern] (Nest's WsProxy appends the pattern).
 */
@Catch()
export class WsExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('WS');

  catch(exception: unknown, host: ArgumentsHost): void {
    const args = host.getArgs<unknown[]>();
    const socket = args[0] as AppSocket;
    const ack = args.find((a, i) => i > 0 && typeof a === 'function') as ((r: AckError) => void) | undefined;
    const event = String(args[args.length - 1]);
    const { error, internal } = toAppError(exception);
    if (internal) {
      // The connection id (socket id), its session and user tie this line to the client's reports.
      const { sessionId, user } = socket.data ?? {};
      this.logger.error({ event, socketId: socket.id, sessionId, userId: user?.id, err: exception }, `unhandled error in "${event}"`);
    }
    sendError(socket, event, error.toBody(), ack);
  }
}

export function sendError(socket: AppSocket, event: string, error: AckError['error'], ack?: (response: AckError) => void): void {
  if (ack) ack({ ok: false, error });
  else socket.emit('exception', { event, error } satisfies ExceptionEvent);
}

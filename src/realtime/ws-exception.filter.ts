import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { AckError } from '../contracts';
import { eventFailure } from './failure';
import type { AppSocket } from './socket.types';

/**
 * Hands anything a handler (or its validation pipe) throws back to the dispatcher's `reply`,
 * which acks it or emits `exception`. Nest's default would emit its own "exception" shape.
 * Handler args are [socket, payload, reply, pattern] (Nest's WsProxy appends the pattern).
 */
@Catch()
export class WsExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const args = host.getArgs<unknown[]>();
    const socket = args[0] as AppSocket;
    const reply = args.find((a, i) => i > 0 && typeof a === 'function') as ((r: AckError) => void) | undefined;
    const event = String(args[args.length - 1]);
    const failure = eventFailure(exception, socket, event);
    if (reply) reply(failure);
    else socket.emit('exception', { event, error: failure.error });
  }
}

import { Inject, Injectable, Optional } from '@nestjs/common';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { isObservable, lastValueFrom } from 'rxjs';
import type { Ack, ErrorCode } from '../../contracts';
import { InjectConfig, type AppConfig } from '../../config/config.module';
import { AppError } from '../../common/errors/app-error';
import { eventFailure, plainFailure } from '../failure';
import { EventLimits } from '../limits/event-limits';
import { UserEventBudgets } from '../limits/user-event-budget';
import type { AppSocket } from '../socket.types';

type Handler = (data: unknown, reply?: (response: unknown) => void) => unknown;

/** Sees every client event once it is answered (metrics); `code` is set when it failed. */
export interface DispatchObserver {
  event(name: string, seconds: number, code?: ErrorCode): void;
  /** A handshake was refused (`connect_error`, or TIMEOUT: no socket.io handshake in time). */
  handshakeRefused?(code: ErrorCode | 'TIMEOUT'): void;
  /** A connection was cut because its unsent data passed MAX_SOCKET_BUFFER_BYTES. */
  slowConsumerDisconnected?(): void;
}

/** Provided by the metrics module; the realtime floor only knows the interface. */
export const DISPATCH_OBSERVER = Symbol('DISPATCH_OBSERVER');

const UNKNOWN_EVENT = '(unknown)';

/**
 * Every client event goes through here: one `onAny` listener per socket (Nest's stock adapter
 * builds an RxJS pipeline per handler per socket instead), the rate limits, the gateway's handler
 * (Nest's context wrapper runs its pipes and filters), and the ack envelope: `{ ok: true, data }`,
 * or the failure as an ack or, without an ack callback, as the `exception` event. An unknown
 * event is NOT_FOUND. It also counts the events still being handled (the SIGTERM drain waits
 * for none).
 */
@Injectable()
export class EventDispatcher {
  /**
   * Each event's slot in the per-socket handler array; the same for every socket, so a socket
   * carries a small array of Nest's bound callbacks instead of a Map (~0.6 KB less per socket).
   */
  private readonly slots = new Map<string, number>();
  private readonly tables = new WeakMap<AppSocket, Handler[]>();
  private readonly limits: EventLimits;
  private pending = 0;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    budgets: UserEventBudgets,
    @Optional() @Inject(DISPATCH_OBSERVER) readonly observer?: DispatchObserver,
  ) {
    this.limits = new EventLimits(config.rateLimit, budgets);
  }

  /** Client events received on this instance and not answered yet. */
  get inFlight(): number {
    return this.pending;
  }

  /** Nest calls the adapter once per gateway for every socket; all of them share one table and listener. */
  bind(socket: AppSocket, handlers: MessageMappingProperties[]): void {
    let table = this.tables.get(socket);
    if (!table) {
      const created: Handler[] = [];
      table = created;
      this.tables.set(socket, created);
      this.limits.track(socket);
      socket.onAny((event: string, ...args: unknown[]) => void this.dispatch(socket, created, event, args));
    }
    for (const { message, callback } of handlers) {
      const event = String(message);
      let slot = this.slots.get(event);
      if (slot === undefined) this.slots.set(event, (slot = this.slots.size));
      table[slot] = callback as Handler;
    }
  }

  private async dispatch(socket: AppSocket, table: Handler[], event: string, args: unknown[]): Promise<void> {
    const started = performance.now();
    this.pending += 1;
    const last = args[args.length - 1];
    const ack = typeof last === 'function' ? (last as (response: unknown) => void) : undefined;
    const data = args.length > (ack ? 1 : 0) ? args[0] : undefined;
    const slot = this.slots.get(event);
    const handler = slot === undefined ? undefined : table[slot];
    const name = handler ? event : String(event).slice(0, 64);

    // Every outcome goes through `reply`, WsExceptionFilter's too: the first answer wins.
    let outcome: Ack<unknown> | undefined;
    const reply = (response: Ack<unknown>) => {
      if (outcome) return;
      outcome = response;
      if (ack) ack(response);
      else if (!response.ok) socket.emit('exception', { event: name, error: response.error });
    };

    let verdict = this.limits.take(socket);
    if (verdict instanceof Promise) verdict = await verdict;
    if (!verdict.allowed) {
      // A socket that keeps flooding is cut off; until then each event is told when to retry.
      if (verdict.disconnect) socket.disconnect(true);
      else reply(plainFailure(AppError.of('RATE_LIMITED', { retryAfterMs: verdict.retryAfterMs }, 'Too many events; slow down')));
    } else if (!handler) {
      reply(plainFailure(AppError.of('UNKNOWN_EVENT', `Unknown event "${name}"`)));
    } else {
      try {
        let result = await handler(data, reply as (response: unknown) => void);
        if (isObservable(result)) result = await lastValueFrom(result, { defaultValue: undefined });
        reply({ ok: true, data: result ?? {} });
      } catch (error) {
        reply(eventFailure(error, socket, name));
      }
    }
    this.pending -= 1;
    this.observer?.event(
      handler ? event : UNKNOWN_EVENT,
      (performance.now() - started) / 1000,
      outcome?.ok === false ? outcome.error.code : undefined,
    );
  }
}

import { SetMetadata } from '@nestjs/common';

export type ConnectionPhase = 'prepare' | 'connect' | 'disconnect';

export interface ConnectionListenerMeta {
  phase: ConnectionPhase;
  order: number;
}

export const CONNECTION_LISTENER = Symbol('CONNECTION_LISTENER');

/**
 * Marks a provider's method as a listener of sockets coming and going, at its place in
 * `LISTENER_ORDER`. `ConnectionLifecycle` finds every such method at start-up (immich's
 * `@OnEvent` discovery), so the order is declared, not whatever order Nest initialises modules in.
 *
 * - `prepare(socket: AppSocket)`
 * - `connect(socket: AppSocket, counts: ConnectionCounts)`
 * - `disconnect(socket: DisconnectedSocket, counts: ConnectionCounts)`
 */
export const OnConnection = (phase: ConnectionPhase, order: number): MethodDecorator =>
  SetMetadata<symbol, ConnectionListenerMeta>(CONNECTION_LISTENER, { phase, order });

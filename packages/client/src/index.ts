/**
 * The typed client for frontend teams: the event contract (its types, plus the error catalogue)
 * and `createClient`. Depends on socket.io-client 4 and nothing from the server: the contract is
 * the server's own `src/contracts`, bundled into this package when it is built.
 */
export * from '../../../src/contracts/errors';
export type * from '../../../src/contracts/models';
export type * from '../../../src/contracts/events';
export {
  createClient,
  RealtimeError,
  type ClientErrorCode,
  type ClientOptions,
  type ClientPayload,
  type ConnectionState,
  type ConnectionStatus,
  type RealtimeClient,
  type Unsubscribe,
} from './realtime-client';

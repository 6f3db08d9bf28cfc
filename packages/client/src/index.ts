/**
 * The typed client for frontend teams: the event contract (types only, plus the error
 * catalogue) and `createClient`. Depends on socket.io-client 4 and nothing from the server.
 */
export * from '../src/contracts';
export {
  createClient,
  RealtimeError,
  type ClientErrorCode,
  type ClientOptions,
  type RealtimeClient,
  type Unsubscribe,
} from './realtime-client';

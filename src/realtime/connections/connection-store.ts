import { Inject } from '@nestjs/common';

export interface SocketEntry {
  socketId: string;
  userId: string;
  sessionId: string;
}

/** How many sockets the user and the session have after a change. */
export interface ConnectionCounts {
  user: number;
  session: number;
}

/**
 * Which sockets are open for which user and session, across every instance. The in-process
 * store serves a single instance; the Redis store (REDIS_URL) shares it between instances.
 */
export interface ConnectionStore {
  add(entry: SocketEntry): Promise<ConnectionCounts>;
  /**
   * Adds the socket unless the user already has `maxPerUser` sockets (then `null`, nothing added).
   * Check and add are one atomic step, so concurrent handshakes of one user on any instance never
   * pass the cap together.
   */
  addWithin(entry: SocketEntry, maxPerUser: number): Promise<ConnectionCounts | null>;
  /** Removes the socket; counts are what remains. Removing an unknown socket changes nothing. */
  remove(entry: SocketEntry): Promise<ConnectionCounts>;
  /** Open sockets per user; users with none are absent from the map. */
  countByUser(userIds: readonly string[]): Promise<Map<string, number>>;
  countBySession(sessionId: string): Promise<number>;
  /** How many users have at least one open socket (a counter read, for metrics). */
  onlineUserCount(): Promise<number>;
}

export const CONNECTION_STORE = Symbol('CONNECTION_STORE');
export const InjectConnectionStore = () => Inject(CONNECTION_STORE);

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
  /** Every user with at least one open socket. */
  onlineUserIds(): Promise<string[]>;
  /** How many users have at least one open socket (a counter read, for metrics). */
  onlineUserCount(): Promise<number>;
}

export const CONNECTION_STORE = Symbol('CONNECTION_STORE');
export const InjectConnectionStore = () => Inject(CONNECTION_STORE);

/** Single-instance store: two indexes kept in step. */
export class InMemoryConnectionStore implements ConnectionStore {
  private readonly byUser = new Map<string, Set<string>>();
  private readonly bySession = new Map<string, Set<string>>();

  async add(entry: SocketEntry): Promise<ConnectionCounts> {
    return (await this.addWithin(entry, Infinity))!;
  }

  async addWithin({ socketId, userId, sessionId }: SocketEntry, maxPerUser: number): Promise<ConnectionCounts | null> {
    // Synchronous from the check to the add: nothing else runs in between.
    const sockets = this.byUser.get(userId);
    if (sockets && sockets.size >= maxPerUser && !sockets.has(socketId)) return null;
    return { user: addTo(this.byUser, userId, socketId), session: addTo(this.bySession, sessionId, socketId) };
  }

  async remove({ socketId, userId, sessionId }: SocketEntry): Promise<ConnectionCounts> {
    return {
      user: removeFrom(this.byUser, userId, socketId),
      session: removeFrom(this.bySession, sessionId, socketId),
    };
  }

  async countByUser(userIds: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    for (const id of userIds) {
      const size = this.byUser.get(id)?.size;
      if (size) counts.set(id, size);
    }
    return counts;
  }

  async countBySession(sessionId: string): Promise<number> {
    return this.bySession.get(sessionId)?.size ?? 0;
  }

  async onlineUserIds(): Promise<string[]> {
    return [...this.byUser.keys()];
  }

  async onlineUserCount(): Promise<number> {
    return this.byUser.size;
  }
}

function addTo(index: Map<string, Set<string>>, key: string, socketId: string): number {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(socketId);
  return set.size;
}

function removeFrom(index: Map<string, Set<string>>, key: string, socketId: string): number {
  const set = index.get(key);
  if (!set) return 0;
  set.delete(socketId);
  if (set.size === 0) index.delete(key);
  return set.size;
}

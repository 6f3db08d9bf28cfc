import type { ConnectionCounts, ConnectionStore, SocketEntry } from './connection-store';

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

import { Injectable } from '@nestjs/common';
import type { Presence, User } from '../contracts';
import { InjectConnectionStore, type ConnectionStore } from '../sessions/connection-store';
import { UsersRepository } from '../users/users.repository';
import type { PresenceQuery } from './presence-query';

/** Who is online: a user is online while at least one of their sockets is open. */
@Injectable()
export class PresenceService implements PresenceQuery {
  constructor(
    @InjectConnectionStore() private readonly connections: ConnectionStore,
    private readonly users: UsersRepository,
  ) {}

  async presenceOf(users: readonly User[], _viewerId: string): Promise<Map<string, Presence>> {
    const ids = users.map((u) => u.id);
    const [counts, rows] = await Promise.all([this.connections.countByUser(ids), this.users.findByIds(ids)]);
    const lastSeen = new Map(rows.map((r) => [r.id, r.last_seen_at]));
    const result = new Map<string, Presence>();
    for (const user of users) {
      const connections = counts.get(user.id) ?? 0;
      const presence: Presence = {
        userId: user.id,
        username: user.username,
        status: connections > 0 ? 'online' : 'offline',
        connections,
      };
      const seen = lastSeen.get(user.id);
      if (seen) presence.lastSeenAt = seen;
      result.set(user.id, presence);
    }
    return result;
  }
}

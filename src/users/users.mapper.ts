import type { User } from '../contracts';
import type { UserRow } from './users.repository';

export function toUser(row: Pick<UserRow, 'id' | 'username' | 'display_name' | 'created_at'>): User {
  return { id: row.id, username: row.username, displayName: row.display_name, createdAt: row.created_at };
}

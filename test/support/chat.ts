import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Message, Room } from '../../src/contracts';
import type { Database } from '../../src/storage/database.types';
import type { TestClient } from './clients';

export async function send(
  client: TestClient,
  payload: { to?: string; roomId?: string; content: string; clientMsgId?: string; replyTo?: string },
): Promise<Message> {
  return client.ok('message:send', payload);
}

export async function createRoom(
  client: TestClient,
  name: string,
  options: { visibility?: 'public' | 'private'; members?: string[] } = {},
): Promise<Room> {
  return client.ok('room:create', { name, ...options });
}

/** Every `message:new` content a client received so far, in order. */
export function contents(client: TestClient): string[] {
  return client.all('message:new').map((m) => m.content);
}

/** Rows per INSERT when seeding: far below either engine's bound-parameter limit. */
const SEED_BATCH = 500;

/**
 * Adds `count` users straight to the database and makes them members of `roomId`, without any
 * event (fast, for big rooms). `joined_at` goes up by 1 ms every `sameTime` members, so several
 * members share a join time and the page order's tie-break (user id) is exercised. Returns the
 * member ids in page order (joined_at, then user id).
 */
export async function seedMembers(
  db: Kysely<Database>,
  roomId: string,
  count: number,
  options: { prefix?: string; sameTime?: number; from?: Date } = {},
): Promise<string[]> {
  const prefix = options.prefix ?? randomBytes(3).toString('hex');
  const sameTime = options.sameTime ?? 1;
  const from = (options.from ?? new Date()).getTime() + 1;
  const rows = Array.from({ length: count }, (_, i) => {
    // Ids in reverse of their number inside a time group, so id order differs from insert order.
    const id = `seed-${prefix}-${String(count - i).padStart(6, '0')}`;
    return { id, joinedAt: new Date(from + Math.floor(i / sameTime)).toISOString() };
  });
  const now = new Date().toISOString();
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += SEED_BATCH) {
      const batch = rows.slice(i, i + SEED_BATCH);
      await trx
        .insertInto('users')
        .values(batch.map((r) => ({ id: r.id, username: r.id.slice(0, 32), display_name: r.id, password_hash: 'x', created_at: now })))
        .execute();
      await trx
        .insertInto('room_members')
        .values(batch.map((r) => ({ room_id: roomId, user_id: r.id, role: 'member' as const, joined_at: r.joinedAt, added_by: null })))
        .execute();
    }
  });
  return rows.sort((a, b) => (a.joinedAt === b.joinedAt ? (a.id < b.id ? -1 : 1) : a.joinedAt < b.joinedAt ? -1 : 1)).map((r) => r.id);
}

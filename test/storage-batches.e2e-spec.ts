import { WebhookOutbox } from '../src/webhooks/webhook-outbox';
import { dmConversationId } from '../src/access/conversation-id';
import { loadConfig } from '../src/config/app-config';
import { MessagesRepository } from '../src/chat/messages.repository';
import { closeDatabase, migrateToLatest, openDatabase, type Db } from '../src/storage/database';
import { inBatches } from '../src/storage/in-batches';
import { WriteBatcher } from '../src/storage/write-batcher';
import { UsersRepository } from '../src/users/users.repository';
import { createTestDatabase, postgresAvailable, type Engine, type TestDatabase } from './support/databases';

const engines: Engine[] = ['sqlite', 'postgres'];
/** Above both engines' bound-parameter limits (SQLite 32,766, PostgreSQL 65,535) in one list. */
const IDS = 70_000;
/** Every STRIDE-th id exists; the others are unknown, as in a list a client sent. */
const STRIDE = 35;

describe.each(engines)('IN lookups beyond the parameter limit on %s', (engine) => {
  let database: TestDatabase | undefined;
  let db: Db;
  let users: UsersRepository;
  let messages: MessagesRepository;
  let skip = false;
  const ids = Array.from({ length: IDS }, (_, i) => `batch-user-${String(i).padStart(6, '0')}`);
  const existing = ids.filter((_, i) => i % STRIDE === 0);

  beforeAll(async () => {
    if (engine === 'postgres' && !(await postgresAvailable())) {
      skip = true;
      return;
    }
    database = await createTestDatabase(engine);
    db = openDatabase(loadConfig({ DATABASE_URL: database.url }).database);
    await migrateToLatest(db);
    const writes = new WriteBatcher(db, engine === 'sqlite');
    users = new UsersRepository(db, writes);
    messages = new MessagesRepository(db, writes, new WebhookOutbox(loadConfig({}), db), loadConfig({ DATABASE_URL: database.url }));
    const now = new Date().toISOString();
    await inBatches(
      existing,
      async (chunk) => {
        await db
          .insertInto('users')
          .values(chunk.map((id) => ({ id, username: id, display_name: id, password_hash: 'x', created_at: now, last_seen_at: null })))
          .execute();
        return [];
      },
      500,
    );
  });
  afterAll(async () => {
    if (db) await closeDatabase(db);
    await database?.drop();
  });

  it(`finds users by ${IDS.toLocaleString('en')} ids, the last chunk included`, async () => {
    if (skip) return;
    const found = await users.findByIds(ids);
    expect(found).toHaveLength(existing.length);
    expect(new Set(found.map((u) => u.id))).toEqual(new Set(existing));
    expect(found.map((u) => u.id)).toContain(existing.at(-1));
  });

  it(`sets last seen for ${IDS.toLocaleString('en')} ids, answering each user it wrote once`, async () => {
    if (skip) return;
    const at = '2030-01-01T00:00:00.000Z';
    const written = await users.setLastSeen(ids, at);
    expect(written).toHaveLength(existing.length);
    expect(new Set(written.map((u) => u.id))).toEqual(new Set(existing));
    const rows = await users.findByIds(existing);
    expect(rows.every((u) => u.last_seen_at === at)).toBe(true);
  });

  it(`counts unread messages over ${IDS.toLocaleString('en')} conversation ids`, async () => {
    if (skip) return;
    const reader = existing[0];
    // One unread message in every 1,000th conversation, spread over the whole id list.
    const withMessages = ids.filter((_, i) => i % 1000 === 999).map((peer) => dmConversationId(reader, peer));
    for (const id of withMessages) {
      const peer = id.split(':')[2];
      await messages.append(
        { id, kind: 'dm', room_id: null, user_a: reader, user_b: peer },
        {
          id: `m-${id}`,
          sender_id: peer,
          sender_username: 'peer',
          recipient_id: reader,
          content: 'unread',
          created_at: new Date().toISOString(),
        },
      );
    }
    const conversationIds = ids.map((peer) => dmConversationId(reader, peer));
    const counts = await messages.unreadCounts(reader, conversationIds);
    expect(new Map(counts)).toEqual(new Map(withMessages.map((id) => [id, 1])));
  });
});

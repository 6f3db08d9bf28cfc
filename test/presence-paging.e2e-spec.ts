import { randomBytes, randomUUID } from 'node:crypto';
import type { Presence, PresenceUsersResult } from '../src/contracts';
import { PRESENCE_STORE, type PresenceStore } from '../src/presence/presence.store';
import type { Db } from '../src/storage/database';
import { DATABASE } from '../src/storage/database.module';
import type { TestApp } from './support/app';
import { ClientTracker, type SignedIn, type TestClient } from './support/clients';
import { AFTER_GRACE_MS, startPresenceApp } from './support/presence';

/**
 * Online presence answers are pages, never the whole user base: `presence:list {}` pages by user
 * id (`after`/`limit`, `hasMore`/`next`), `presence:subscribe { all }` answers the first 500.
 */
describe('presence: online users in pages', () => {
  let t: TestApp;
  const clients = new ClientTracker(() => t.url);
  beforeAll(async () => {
    t = await startPresenceApp();
  });
  afterEach(() => clients.closeAll());
  afterAll(() => t?.close());

  /** Every page of `presence:list {}` from the start, with the pages as answered. */
  async function walk(client: TestClient, limit?: number): Promise<{ users: Presence[]; pages: PresenceUsersResult[] }> {
    const pages: PresenceUsersResult[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await client.ok('presence:list', { ...(after ? { after } : {}), ...(limit ? { limit } : {}) });
      pages.push(page);
      if (!page.hasMore) break;
      expect(page.next).toEqual(expect.any(String));
      after = page.next;
      if (pages.length > 1000) throw new Error('presence:list never ended');
    }
    return { users: pages.flatMap((p) => p.users), pages };
  }

  /** Users that exist in the database and are online in the presence store, without a socket or a password hash each. */
  async function seedOnline(count: number): Promise<string[]> {
    const db = t.app.get<Db>(DATABASE);
    const store = t.app.get<PresenceStore>(PRESENCE_STORE);
    const now = new Date().toISOString();
    const rows = Array.from({ length: count }, () => {
      const name = `seed_${randomBytes(6).toString('hex')}`;
      return { id: randomUUID(), username: name, display_name: name, password_hash: 'x', created_at: now, last_seen_at: null };
    });
    for (let i = 0; i < rows.length; i += 200)
      await db
        .insertInto('users')
        .values(rows.slice(i, i + 200))
        .execute();
    for (const row of rows) await store.connect(row.id);
    return rows.map((r) => r.id);
  }

  it("walks every online user exactly once, in id order and pages of `limit`, without others' invisible users", async () => {
    const watcher = await clients.signIn();
    const online: SignedIn[] = [];
    for (let i = 0; i < 12; i++) online.push(await clients.signIn());
    const hidden = await clients.signIn();
    await hidden.client.ok('presence:set', { status: 'invisible' });

    const { users, pages } = await walk(watcher.client, 5);
    const ids = users.map((p) => p.userId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort());
    expect(ids).toEqual(expect.arrayContaining([watcher, ...online].map((u) => u.user.id)));
    expect(ids).not.toContain(hidden.user.id);
    expect(users.every((p) => p.status !== 'offline')).toBe(true);
    for (const page of pages) expect(page.users.length).toBeLessThanOrEqual(5);
    expect(pages.length).toBeGreaterThanOrEqual(3);
    for (const page of pages.slice(0, -1)) expect(page).toMatchObject({ hasMore: true, next: expect.any(String) });
    expect(pages[pages.length - 1]).toEqual({ users: expect.any(Array), hasMore: false });

    // The invisible user sees themselves (their true state) on their own walk.
    expect((await walk(hidden.client, 5)).users.map((p) => p.userId)).toContain(hidden.user.id);

    // One goes offline (after the grace period): the next walk leaves them out, the others stay.
    online[0].client.close();
    await watcher.client.ok('presence:subscribe', { userIds: [online[0].user.id] });
    await watcher.client.waitFor('presence:update', (p) => p.userId === online[0].user.id && p.status === 'offline', 5000);
    const after = (await walk(watcher.client, 4)).users.map((p) => p.userId);
    expect(after).not.toContain(online[0].user.id);
    expect(after).toEqual(expect.arrayContaining(online.slice(1).map((u) => u.user.id)));
    // Visible again, so the next test's pages are exactly full.
    await hidden.client.ok('presence:set', { status: 'online' });
  });

  it('answers presence:subscribe { all } with the first 500 online users and hasMore; presence:list pages the rest', async () => {
    // The previous test's users go offline one grace period after their sockets closed; a user
    // leaving between the store's page and the presence look-up would make a page one short.
    await new Promise((resolve) => setTimeout(resolve, AFTER_GRACE_MS));
    const seeded = await seedOnline(520);
    const watcher = await clients.signIn();
    const snapshot = await watcher.client.ok('presence:subscribe', { all: true });
    expect(snapshot.users).toHaveLength(500);
    expect(snapshot).toMatchObject({ hasMore: true, next: snapshot.users[499].userId });
    const snapshotIds = snapshot.users.map((p) => p.userId);
    expect(snapshotIds).toEqual([...snapshotIds].sort());

    const rest: string[] = [];
    let after = snapshot.next;
    while (after) {
      const page = await watcher.client.ok('presence:list', { after, limit: 500 });
      expect(page.users.length).toBeLessThanOrEqual(500);
      rest.push(...page.users.map((p) => p.userId));
      after = page.hasMore ? page.next : undefined;
    }
    const all = snapshotIds.concat(rest);
    expect(new Set(all).size).toBe(all.length);
    expect(all).toEqual(expect.arrayContaining([...seeded, watcher.user.id]));
    // The default page is 100, the largest 500.
    expect((await watcher.client.ok('presence:list', {})).users).toHaveLength(100);
    expect((await watcher.client.ok('presence:list', { limit: 500 })).users).toHaveLength(500);
  });

  it('refuses bad paging input with BAD_REQUEST naming the field', async () => {
    const watcher = await clients.signIn();
    const cases: [unknown, string][] = [
      [{ limit: 0 }, 'limit'],
      [{ limit: 501 }, 'limit'],
      [{ limit: 1.5 }, 'limit'],
      [{ limit: '5' }, 'limit'],
      [{ after: '' }, 'after'],
      [{ after: 'x'.repeat(257) }, 'after'],
      [{ after: 5 }, 'after'],
      [{ userIds: [watcher.user.id], after: watcher.user.id }, 'after'],
      [{ userIds: [watcher.user.id], limit: 5 }, 'limit'],
    ];
    for (const [payload, field] of cases) {
      const ack = await watcher.client.request('presence:list', payload);
      expect({ payload, ack }).toMatchObject({
        payload,
        ack: { ok: false, error: { code: 'BAD_REQUEST', details: expect.arrayContaining([expect.objectContaining({ field })]) } },
      });
    }
  });
});

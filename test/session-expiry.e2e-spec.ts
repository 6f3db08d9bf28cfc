import type { Db } from '../src/storage/database';
import { DATABASE } from '../src/storage/database.module';
import { CONNECTION_STORE, type ConnectionStore } from '../src/realtime/connections/connection-store';
import { SessionSweeper } from '../src/sessions/session-sweeper.service';
import { startApp, type TestApp } from './support/app';
import { ClientTracker, DEFAULT_WAIT_MS, registerUser, type TestClient } from './support/clients';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Polls until `check` holds (time-limited), for writes that land after an event (a disconnect). */
async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('sessions: expiry and the per-user bound', () => {
  let t: TestApp;
  let db: Db;
  const clients = new ClientTracker(() => t.url);
  const row = (id: string) => db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
  const ageBy = (id: string, days: number) =>
    db
      .updateTable('sessions')
      .set({ last_seen_at: new Date(Date.now() - days * DAY_MS).toISOString() })
      .where('id', '=', id)
      .execute();
  /** Closes the client and waits until its session's last use (the disconnect) is stored. */
  const leave = async (client: TestClient, sessionId: string) => {
    const before = (await row(sessionId))?.last_seen_at ?? '';
    client.close();
    await waitUntil(`session ${sessionId} released`, async () => {
      const now = await row(sessionId);
      return now?.connected === 0 && now.last_seen_at >= before;
    });
  };

  beforeAll(async () => {
    t = await startApp();
    db = t.app.get<Db>(DATABASE);
  });
  afterEach(() => clients.closeAll());
  afterAll(() => t.close());

  it('records the last use when the last socket of a session goes', async () => {
    const { token } = await registerUser(t.url);
    const tab = await clients.connect(token);
    const { sessionId } = await tab.waitFor('session');
    expect(await row(sessionId)).toMatchObject({ connected: 1 });
    const second = await clients.connect(token, { sessionId });
    await ageBy(sessionId, 2);
    tab.close();
    const store = t.app.get<ConnectionStore>(CONNECTION_STORE);
    await waitUntil('first socket gone', async () => (await store.countBySession(sessionId)) === 1);
    // One socket of the session is still open: nothing recorded.
    expect(await row(sessionId)).toMatchObject({ connected: 1 });
    const aged = (await row(sessionId))!.last_seen_at;
    await leave(second, sessionId);
    expect((await row(sessionId))!.last_seen_at > aged).toBe(true);
  });

  it('does not resume a session unused for longer than SESSION_TTL_DAYS, and the sweeper deletes it', async () => {
    const { token } = await registerUser(t.url);
    const tab = await clients.connect(token);
    const { sessionId } = await tab.waitFor('session');
    await leave(tab, sessionId);

    const recent = await clients.connect(token);
    const recentId = (await recent.waitFor('session')).sessionId;
    await leave(recent, recentId);
    await ageBy(recentId, 29);

    await ageBy(sessionId, 31);
    const again = await clients.connect(token, { sessionId });
    const issued = await again.waitFor('session');
    expect(issued.sessionId).not.toBe(sessionId);

    const deleted = await t.app.get(SessionSweeper).sweep();
    expect(deleted).toBeGreaterThanOrEqual(1);
    expect(await row(sessionId)).toBeUndefined();
    // Within the TTL: kept, and resumed.
    expect(await row(recentId)).toBeDefined();
    const resumed = await clients.connect(token, { sessionId: recentId });
    expect((await resumed.waitFor('session')).sessionId).toBe(recentId);
  });

  it('never deletes a session that still has an open socket, however old its last use', async () => {
    const { token } = await registerUser(t.url);
    const tab = await clients.connect(token);
    const { sessionId } = await tab.waitFor('session');
    await ageBy(sessionId, 400);
    await t.app.get(SessionSweeper).sweep();
    expect(await row(sessionId)).toBeDefined();
    // Still served, and once it goes its last use is now: no longer past the TTL either.
    expect(await tab.request('session:refresh', {})).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    await leave(tab, sessionId);
    await t.app.get(SessionSweeper).sweep();
    expect(await row(sessionId)).toBeDefined();
  });
});

describe('sessions: MAX_SESSIONS_PER_USER', () => {
  let t: TestApp;
  let db: Db;
  const clients = new ClientTracker(() => t.url);
  beforeAll(async () => {
    t = await startApp({ env: { MAX_SESSIONS_PER_USER: '3' } });
    db = t.app.get<Db>(DATABASE);
  });
  afterEach(() => clients.closeAll());
  afterAll(() => t.close());

  const sessionsOf = async (userId: string) =>
    (await db.selectFrom('sessions').select('id').where('user_id', '=', userId).execute()).map((r) => r.id).sort();

  it('keeps 3 sessions after 5 handshakes without sessionId, the ones with open sockets among them', async () => {
    const { user, token } = await registerUser(t.url);
    const other = await registerUser(t.url);
    const bystander = await clients.connect(other.token);
    const bystanderSession = (await bystander.waitFor('session')).sessionId;

    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const client = await clients.connect(token);
      const { sessionId } = await client.waitFor('session');
      ids.push(sessionId);
      // Handshakes 1, 3 and 5 stay connected; 2 and 4 leave before the next one.
      if (i % 2 === 0) continue;
      client.close();
      await waitUntil(`session ${i + 1} released`, async () => {
        const row = await db.selectFrom('sessions').select('connected').where('id', '=', sessionId).executeTakeFirst();
        return row?.connected === 0;
      });
    }
    expect(await sessionsOf(user.id)).toEqual([ids[0], ids[2], ids[4]].sort());
    expect(await sessionsOf(other.user.id)).toEqual([bystanderSession]);

    // The kept ones resume; a pruned one does not.
    const resumed = await clients.connect(token, { sessionId: ids[0] });
    expect((await resumed.waitFor('session')).sessionId).toBe(ids[0]);
    const pruned = await clients.connect(token, { sessionId: ids[1] });
    expect((await pruned.waitFor('session')).sessionId).not.toBe(ids[1]);
    // Four open sessions now: the bound holds anyway, at the cost of the user's own least recently used one.
    expect(await sessionsOf(user.id)).toHaveLength(3);
  });
});

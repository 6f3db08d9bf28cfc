import { startApp, type TestApp } from './support/app';
import { ClientTracker, registerUser } from './support/clients';

describe('sessions: resume and isolation', () => {
  let t: TestApp | undefined;
  const clients = new ClientTracker(() => t!.url);
  afterEach(() => clients.closeAll());
  afterAll(() => t?.close());

  it('issues a session, resumes it on reconnect, and keeps it across a restart', async () => {
    t = await startApp();
    const { user, token } = await registerUser(t.url);
    const first = await clients.connect(token);
    const { sessionId } = await first.waitFor('session');
    first.close();

    const again = await clients.connect(token, { sessionId });
    expect((await again.waitFor('session')).sessionId).toBe(sessionId);
    again.close();

    // Same database, new process state: the session is persisted.
    await t.stop();
    const database = { url: t.databaseUrl, drop: async () => undefined };
    const restarted = await startApp({ database });
    try {
      const afterRestart = await clients.at(restarted.url).connect(token, { sessionId });
      expect(await afterRestart.waitFor('session')).toEqual({ sessionId, user, expiresAt: expect.any(String) });
    } finally {
      await restarted.stop();
    }
    t = await startApp({ database });
  });

  it("gives a new session for an unknown or another user's sessionId", async () => {
    t ??= await startApp();
    const a = await registerUser(t.url);
    const b = await registerUser(t.url);
    const aClient = await clients.connect(a.token);
    const aSession = (await aClient.waitFor('session')).sessionId;

    const bClient = await clients.connect(b.token, { sessionId: aSession });
    const bSession = (await bClient.waitFor('session')).sessionId;
    expect(bSession).not.toBe(aSession);

    const unknown = await clients.connect(b.token, { sessionId: 'does-not-exist' });
    const unknownSession = (await unknown.waitFor('session')).sessionId;
    expect([aSession, bSession]).not.toContain(unknownSession);
  });

  it('gives two tabs of one user two sessions', async () => {
    t ??= await startApp();
    const { token } = await registerUser(t.url);
    const [tab1, tab2] = await Promise.all([clients.connect(token), clients.connect(token)]);
    expect((await tab1.waitFor('session')).sessionId).not.toBe((await tab2.waitFor('session')).sessionId);
  });
});

import { startApp, type TestApp } from './support/app';
import { connect, connectError, registerUser } from './support/clients';

describe('socket.io origin check with a CORS allow-list', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ env: { CORS_ORIGINS: 'https://app.example.com' } });
  });
  afterAll(() => t.close());

  it("accepts a websocket from an allowed origin, from the server's own origin, and from clients without Origin", async () => {
    const { token } = await registerUser(t.url);
    for (const headers of [{ origin: 'https://app.example.com' }, { origin: t.url }, {}]) {
      const client = await connect(t.url, token, { extra: { extraHeaders: headers } });
      expect(client.socket.connected).toBe(true);
      client.close();
    }
  });

  it('refuses a websocket from another origin before authentication', async () => {
    const { token } = await registerUser(t.url);
    const err = await connectError(t.url, { auth: { token }, extraHeaders: { origin: 'https://evil.example.net' } });
    expect(err.message).not.toBe('unauthorized');
    expect(err.message).toMatch(/websocket error|xhr poll error|Forbidden/i);
  });
});

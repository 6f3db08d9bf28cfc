import { startApp, type TestApp } from './support/app';
import { connect, registerUser, settle, type TestClient } from './support/clients';

describe('socket.io plumbing: acks, errors, unknown events', () => {
  let t: TestApp;
  let client: TestClient;
  beforeAll(async () => {
    // Limits high enough that the burst test below measures robustness, not the rate limiter.
    t = await startApp({
      env: {
        RATE_LIMIT_BURST: '1000',
        RATE_LIMIT_EVENTS_PER_SEC: '1000',
        RATE_LIMIT_USER_BURST: '1000',
        RATE_LIMIT_USER_EVENTS_PER_SEC: '1000',
      },
    });
    client = await connect(t.url, (await registerUser(t.url)).token);
  });
  afterAll(async () => {
    client.close();
    await t.close();
  });

  it('answers an unknown event sent with an ack with NOT_FOUND', async () => {
    const ack = await client.request('no:such-event' as never, {});
    expect(ack).toEqual({ ok: false, error: { code: 'NOT_FOUND', reason: 'UNKNOWN_EVENT', message: 'Unknown event "no:such-event"' } });
  });

  it('emits `exception` when a failing event had no ack callback', async () => {
    client.socket.emit('session:refresh', { token: 7 });
    const exception = await client.waitFor('exception', (e) => e.event === 'session:refresh');
    expect(exception.error.code).toBe('BAD_REQUEST');
    expect(exception.error.details).toEqual([{ field: 'token', errors: expect.any(Array) }]);
  });

  it.each([['a string'], [42], [null], [[1, 2]], [true]])('answers the payload %p with BAD_REQUEST', async (payload) => {
    const ack = await client.request('session:refresh', payload);
    expect(ack).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  });

  it('rejects unknown fields and prototype keys', async () => {
    const extra = await client.request('session:refresh', { token: 'x', userId: 'someone' });
    expect(extra).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', details: [{ field: 'userId' }] } });
    const proto = await client.request('session:refresh', JSON.parse('{"token":"x","__proto__":{"polluted":true}}'));
    expect(proto).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keeps serving after a burst of bad input', async () => {
    await Promise.all(Array.from({ length: 200 }, (_, i) => client.request(i % 2 ? 'session:refresh' : ('x' as never), i)));
    await settle(50);
    expect(client.socket.connected).toBe(true);
    expect(await client.request('session:refresh', {})).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  });
});

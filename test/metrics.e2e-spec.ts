import request from 'supertest';
import { startApp, type TestApp } from './support/app';
import { ClientTracker, registerUser } from './support/clients';

/** Reads one sample from Prometheus text, e.g. value(text, 'realtime_events_total', { event: 'x' }). */
function value(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && wanted.every((w) => l.includes(w)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('GET /metrics', () => {
  let t: TestApp;
  const clients = new ClientTracker(() => t.url);
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    clients.closeAll();
    await t.close();
  });

  const scrape = async () =>
    (
      await request(t.url)
        .get('/metrics')
        .expect(200)
        .expect('content-type', /text\/plain/)
    ).text;

  it('counts connections, online users, events by outcome, ack latency and errors after real traffic', async () => {
    const before = await scrape();
    const alice = await registerUser(t.url);
    const client = await clients.connect(alice.token);
    await clients.connect(alice.token);
    await client.request('session:refresh', { token: alice.token });
    await client.request('session:refresh', { token: 5 });
    await client.request('nope:nope' as never, {});
    await request(t.url).get('/users/me').expect(401);

    const after = await scrape();
    expect(value(after, 'realtime_connections')).toBe(value(before, 'realtime_connections') + 2);
    expect(value(after, 'realtime_online_users')).toBe(value(before, 'realtime_online_users') + 1);
    expect(value(after, 'realtime_events_total', { event: 'session:refresh', outcome: 'ok' })).toBe(1);
    expect(value(after, 'realtime_events_total', { event: 'session:refresh', outcome: 'BAD_REQUEST' })).toBe(1);
    expect(value(after, 'realtime_events_total', { event: '(unknown)', outcome: 'NOT_FOUND' })).toBe(1);
    expect(value(after, 'realtime_ack_duration_seconds_count', { event: 'session:refresh' })).toBe(2);
    expect(value(after, 'realtime_errors_total', { code: 'BAD_REQUEST', transport: 'ws' })).toBe(1);
    expect(value(after, 'realtime_errors_total', { code: 'UNAUTHORIZED', transport: 'http' })).toBeGreaterThanOrEqual(1);
    expect(value(after, 'realtime_dependency_up', { dependency: 'database' })).toBe(1);
    expect(after).toContain('process_resident_memory_bytes');
  });
});

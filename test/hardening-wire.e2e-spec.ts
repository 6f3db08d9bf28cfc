import { randomBytes } from 'node:crypto';
import type { Server as HttpServer } from 'node:http';
import { Logger } from '@nestjs/common';
import request from 'supertest';
import { io, type Socket } from 'socket.io-client';
import { createClient } from '@realtime-backend/client';
import { UserEventBudgets } from '../src/realtime/limits/user-event-budget';
import type { Db } from '../src/storage/database';
import { DATABASE } from '../src/storage/database.module';
import { startApp, type TestApp } from './support/app';
import { ClientTracker, connect, registerUser, type TestClient, type TestUser } from './support/clients';
import { createTestDatabase, type TestDatabase } from './support/databases';
import { startRedisServer, type FaultServer } from './support/fault-servers';
import { eventually, metric, RawSocket } from './support/raw-socket';
import { redisAvailable, testRedisPrefix } from './support/redis';

/**
 * Transport-level hardening with real sockets: clients that stop reading, heartbeat abuse,
 * handshakes that never complete, the per-user connection cap and event budget, and /metrics
 * while Redis is down. Runs on SQLite and PostgreSQL, with TEST_REDIS=1 on the Redis stores.
 */

const scrape = async (t: TestApp) => (await request(t.url).get('/metrics').expect(200)).text;

/** `connections` of `userId` as another user sees it (the registry's count). */
async function connectionsOf(observer: TestClient, userId: string): Promise<number> {
  const { users } = await observer.ok('presence:list', { userIds: [userId] });
  return users[0]?.connections ?? 0;
}

function openSockets(server: HttpServer): Promise<number> {
  return new Promise((resolve, reject) => server.getConnections((err, count) => (err ? reject(err) : resolve(count))));
}

type Attempt = { socket: Socket; outcome: Promise<{ ok: true } | { ok: false; message: string; data?: unknown }>; sessions: number };

/** Starts a handshake and records whether it ended in `session` or `connect_error`. */
function attempt(url: string, token: string): Attempt {
  const socket = io(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
  const result: Attempt = { socket, sessions: 0, outcome: undefined as never };
  socket.on('session', () => (result.sessions += 1));
  result.outcome = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('neither session nor connect_error')), 10_000);
    socket.once('session', () => (clearTimeout(timer), resolve({ ok: true })));
    socket.once(
      'connect_error',
      (err: Error & { data?: unknown }) => (clearTimeout(timer), resolve({ ok: false, message: err.message, data: err.data })),
    );
  });
  return result;
}

describe('hardening wire: a client that stops reading is disconnected at MAX_SOCKET_BUFFER_BYTES', () => {
  let t: TestApp;
  const clients = new ClientTracker(() => t.url);
  const content = 'x'.repeat(16_000);

  beforeAll(async () => {
    t = await startApp({
      env: {
        MAX_SOCKET_BUFFER_BYTES: '65536',
        MESSAGE_MAX_LENGTH: '16384',
        RATE_LIMIT_EVENTS_PER_SEC: '100000',
        RATE_LIMIT_BURST: '100000',
        RATE_LIMIT_USER_EVENTS_PER_SEC: '100000',
        RATE_LIMIT_USER_BURST: '100000',
      },
    });
  });
  afterEach(() => clients.closeAll());
  afterAll(() => t.close());

  /** Sends 16 KB DMs to `to` in waves until `done()` or a bound (count and time) is reached. */
  async function floodUntil(sender: TestClient, to: string, done: () => Promise<boolean>, maxMessages = 4000): Promise<number> {
    const deadline = Date.now() + 60_000;
    let sent = 0;
    while (!(await done())) {
      if (sent >= maxMessages || Date.now() > deadline) throw new Error(`not done after ${sent} messages`);
      const acks = await Promise.all(Array.from({ length: 25 }, () => sender.request('message:send', { to, content })));
      for (const ack of acks) if (!ack.ok) throw new Error(`message:send failed: ${JSON.stringify(ack.error)}`);
      sent += acks.length;
    }
    return sent;
  }

  it('destroys a paused websocket of the user, keeps the reading one, and counts it', async () => {
    const victim = await registerUser(t.url);
    const sender = await clients.connect((await registerUser(t.url)).token);
    const reader = await clients.connect(victim.token);
    const stalled = clients.track(await RawSocket.connect(t.url, victim.token));
    stalled.pause();
    expect(await connectionsOf(sender, victim.user.id)).toBe(2);
    const before = metric(await scrape(t), 'realtime_slow_consumer_disconnects_total');
    const debug = jest.spyOn(Logger.prototype, 'debug');

    let sent: number;
    try {
      sent = await floodUntil(sender, victim.user.id, async () => (await connectionsOf(sender, victim.user.id)) === 1);
      // Logged at debug with the ids an operator needs (and no content).
      expect(debug).toHaveBeenCalledWith(
        expect.objectContaining({ userId: victim.user.id, sessionId: expect.any(String), socketId: expect.any(String), limit: 65536 }),
        expect.stringContaining('MAX_SOCKET_BUFFER_BYTES'),
      );
    } finally {
      debug.mockRestore();
    }
    const after = await scrape(t);
    expect(metric(after, 'realtime_slow_consumer_disconnects_total')).toBe(before + 1);
    // The reading socket of the same user kept its connection and got everything.
    expect(reader.socket.connected).toBe(true);
    await reader.waitFor('message:new', () => reader.all('message:new').length >= sent, 10_000);
    const last = await sender.ok('message:send', { to: victim.user.id, content: 'still here?' });
    expect((await reader.waitFor('message:new', (m) => m.id === last.id)).content).toBe('still here?');
    console.log(`buffer cap: paused websocket cut after ${sent} DMs of 16 KB (kernel buffers absorb the first MBs)`);
  }, 90_000);

  it('destroys a long-polling connection that stops polling, and refuses its next poll', async () => {
    const victim = await registerUser(t.url);
    const sender = await clients.connect((await registerUser(t.url)).token);
    const handshake = await request(t.url).get('/socket.io/?EIO=4&transport=polling').expect(200);
    const { sid } = JSON.parse(handshake.text.slice(1)) as { sid: string };
    const path = `/socket.io/?EIO=4&transport=polling&sid=${sid}`;
    await request(t.url)
      .post(path)
      .set('content-type', 'text/plain;charset=UTF-8')
      .send(`40${JSON.stringify({ token: victim.token })}`)
      .expect(200);
    await eventually('the polling socket registered', async () => ((await connectionsOf(sender, victim.user.id)) === 1 ? true : undefined));
    const before = metric(await scrape(t), 'realtime_slow_consumer_disconnects_total');

    // It never polls again: everything owed to it stays in engine.io's write buffer.
    await floodUntil(sender, victim.user.id, async () => (await connectionsOf(sender, victim.user.id)) === 0, 50);
    expect(metric(await scrape(t), 'realtime_slow_consumer_disconnects_total')).toBe(before + 1);
    const poll = await request(t.url).get(path);
    expect(poll.status).toBe(400);
  }, 60_000);
});

describe('hardening wire: heartbeat and handshake timeout', () => {
  let t: TestApp;
  const clients = new ClientTracker(() => t.url);

  beforeAll(async () => {
    t = await startApp({ env: { PING_INTERVAL_MS: '200', PING_TIMEOUT_MS: '200', HANDSHAKE_TIMEOUT_MS: '600' } });
  });
  afterEach(() => clients.closeAll());
  afterAll(() => t.close());

  it('drops a client that sends unsolicited pongs instead of answering pings; keeps one that answers', async () => {
    const user = await registerUser(t.url);
    const honest = clients.track(await RawSocket.connect(t.url, user.token));
    const abuser = clients.track(await RawSocket.connect(t.url, user.token));
    abuser.answerPings = false;
    const pongs = setInterval(() => abuser.send('3'), 50);
    try {
      // Without the filter every pong would reset engine.io's timer and it would never close.
      await abuser.waitClosed(5000);
    } finally {
      clearInterval(pongs);
    }
    expect(abuser.pings).toBeGreaterThanOrEqual(1);
    // The honest client keeps answering and stays, well past the abuser's timeout.
    await honest.waitPings(abuser.pings + 5, 10_000);
    expect(honest.closed).toBe(false);
  });

  it('drops a client that answers nothing within the ping timeout', async () => {
    const user = await registerUser(t.url);
    const silent = clients.track(await RawSocket.connect(t.url, user.token));
    silent.answerPings = false;
    await silent.waitClosed(5000);
  });

  it('closes a websocket that never sends CONNECT, or never authenticates, after HANDSHAKE_TIMEOUT_MS', async () => {
    const before = metric(await scrape(t), 'realtime_handshakes_refused_total', { code: 'TIMEOUT' });
    const mute = clients.track(await RawSocket.open(t.url));
    const refused = clients.track(await RawSocket.open(t.url));
    refused.send(`40${JSON.stringify({ token: 'not-a-token' })}`);
    expect(await refused.waitFrame((f) => f.startsWith('44'))).toContain('UNAUTHORIZED');
    await Promise.all([mute.waitClosed(5000), refused.waitClosed(5000)]);
    // Not before the timeout (the timer cannot fire early).
    expect(mute.closedAt! - mute.openedAt).toBeGreaterThanOrEqual(500);
    expect(metric(await scrape(t), 'realtime_handshakes_refused_total', { code: 'TIMEOUT' })).toBe(before + 2);
  });

  it('frees the TCP connection of a handshake that never completes even when the client does not read', async () => {
    const server = t.app.getHttpServer();
    const baseline = await openSockets(server);
    const stalled = clients.track(await RawSocket.open(t.url));
    stalled.pause();
    expect(await openSockets(server)).toBe(baseline + 1);
    await eventually(
      'the server destroyed the connection',
      async () => ((await openSockets(server)) === baseline ? true : undefined),
      5000,
    );
  });

  it('keeps a client that upgrades from long-polling to websocket answering pings on either transport', async () => {
    const user = await registerUser(t.url);
    const socket = io(t.url, { auth: { token: user.token }, transports: ['polling', 'websocket'], reconnection: false, forceNew: true });
    try {
      const engine = socket.io.engine;
      const upgraded = new Promise<string>((resolve) => engine.once('upgrade', () => resolve(engine.transport.name)));
      await new Promise<void>((resolve, reject) => {
        socket.once('session', () => resolve());
        socket.once('connect_error', reject);
      });
      expect(await upgraded).toBe('websocket');
      let pings = 0;
      const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));
      const enough = new Promise<void>((resolve) => engine.on('ping', () => ++pings >= 6 && resolve()));
      // 6 pings at 200 ms, each answered on the websocket (a pong that did not count would drop it after 400 ms).
      expect(await Promise.race([enough.then(() => 'pinged'), disconnected])).toBe('pinged');
      expect(socket.connected).toBe(true);
    } finally {
      socket.disconnect();
    }
  });

  it('keeps a connection that completed the handshake past the handshake timeout', async () => {
    const user = await registerUser(t.url);
    const client = clients.track(await RawSocket.connect(t.url, user.token));
    // 200 ms pings: 6 of them take longer than the 600 ms handshake timeout.
    await client.waitPings(6, 10_000);
    expect(client.closed).toBe(false);
  });
});

describe('hardening wire: MAX_CONNECTIONS_PER_USER', () => {
  let t: TestApp;
  const clients = new ClientTracker(() => t.url);
  let observer: TestClient;

  beforeAll(async () => {
    t = await startApp({ env: { MAX_CONNECTIONS_PER_USER: '5', PRESENCE_GRACE_MS: '100' } });
    observer = await connect(t.url, (await registerUser(t.url)).token);
  });
  afterEach(() => clients.closeAll());
  afterAll(async () => {
    observer.close();
    await t.close();
  });

  it('accepts exactly 5 of 24 concurrent handshakes of one user; the rest get connect_error "forbidden" with details.limit', async () => {
    const user = await registerUser(t.url);
    const before = metric(await scrape(t), 'realtime_handshakes_refused_total', { code: 'FORBIDDEN' });
    const attempts = Array.from({ length: 24 }, () => attempt(t.url, user.token));
    attempts.forEach((a) => clients.track(a.socket));
    const outcomes = await Promise.all(attempts.map((a) => a.outcome));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(5);
    const refused = outcomes.filter((o) => !o.ok);
    expect(refused).toHaveLength(19);
    for (const o of refused) {
      expect(o).toEqual({
        ok: false,
        message: 'forbidden',
        data: { code: 'FORBIDDEN', reason: 'LIMIT_REACHED', message: expect.any(String), details: { limit: 5 } },
      });
    }
    // A refused handshake never gets `session`.
    attempts.filter((_, i) => !outcomes[i].ok).forEach((a) => expect(a.sessions).toBe(0));
    expect(await connectionsOf(observer, user.user.id)).toBe(5);
    expect(metric(await scrape(t), 'realtime_handshakes_refused_total', { code: 'FORBIDDEN' })).toBe(before + 19);

    // Another user is not affected.
    await clients.connect((await registerUser(t.url)).token);
    // The typed client rejects ready() with the code and the limit.
    const typed = createClient(t.url, user.token, { socket: { forceNew: true } });
    try {
      await expect(typed.ready()).rejects.toMatchObject({ name: 'RealtimeError', code: 'FORBIDDEN', details: { limit: 5 } });
    } finally {
      typed.disconnect();
    }

    // A freed place is taken by the next handshake, and the cap still holds after it.
    attempts.find((_, i) => outcomes[i].ok)!.socket.disconnect();
    await eventually('the closed socket left the registry', async () =>
      (await connectionsOf(observer, user.user.id)) === 4 ? true : undefined,
    );
    const next = attempt(t.url, user.token);
    clients.track(next.socket);
    expect(await next.outcome).toEqual({ ok: true });
    const over = attempt(t.url, user.token);
    clients.track(over.socket);
    expect(await over.outcome).toMatchObject({ ok: false, message: 'forbidden' });
    expect(await connectionsOf(observer, user.user.id)).toBe(5);

    // Nothing is left behind once they all go.
    [...attempts, next, over].forEach((a) => a.socket.disconnect());
    await eventually('every socket left the registry', async () =>
      (await connectionsOf(observer, user.user.id)) === 0 ? true : undefined,
    );
  }, 30_000);

  it('leaves no registry entry for clients that vanish in the middle of their handshake', async () => {
    const user = await registerUser(t.url);
    // Each sends CONNECT and drops the TCP connection at once, while the middleware is at work.
    for (let round = 0; round < 4; round++) {
      const vanishing = await Promise.all(Array.from({ length: 6 }, () => RawSocket.open(t.url)));
      for (const raw of vanishing) {
        raw.send(`40${JSON.stringify({ token: user.token })}`);
        setImmediate(() => raw.terminate());
      }
      await Promise.all(vanishing.map((raw) => raw.waitClosed()));
    }
    await eventually('the vanished handshakes left the registry', async () =>
      (await connectionsOf(observer, user.user.id)) === 0 ? true : undefined,
    );
    // The sessions they made are recorded as left, not as connected for ever.
    const db = t.app.get<Db>(DATABASE);
    await eventually('their sessions are recorded as left', async () => {
      const sessions = await db.selectFrom('sessions').select('connected').where('user_id', '=', user.user.id).execute();
      return sessions.length > 0 && sessions.every((s) => s.connected === 0) ? true : undefined;
    });
    // The cap is free again: 5 real connections still fit.
    for (let i = 0; i < 5; i++) await clients.connect(user.token);
    expect(await connectionsOf(observer, user.user.id)).toBe(5);
  }, 30_000);
});

describe('hardening wire: MAX_CONNECTIONS_PER_USER across two instances on one Redis', () => {
  let a: TestApp;
  let b: TestApp;
  let database: TestDatabase;
  let redis: ReturnType<typeof testRedisPrefix>;
  const clients = new ClientTracker();
  let skip = false;

  beforeAll(async () => {
    if (!(await redisAvailable())) {
      skip = true;
      return;
    }
    database = await createTestDatabase();
    redis = testRedisPrefix();
    const shared = {
      database: { url: database.url, drop: async () => undefined },
      redisPrefix: redis.prefix,
      env: { MAX_CONNECTIONS_PER_USER: '5' },
    };
    a = await startApp(shared);
    b = await startApp(shared);
  });
  afterAll(async () => {
    clients.closeAll();
    await a?.stop();
    await b?.stop();
    await database?.drop();
    await redis?.cleanup();
  });

  it('accepts 5 of 24 concurrent handshakes spread over both instances', async () => {
    if (skip) return;
    const user = await registerUser(a.url);
    const attempts = Array.from({ length: 24 }, (_, i) => attempt((i % 2 ? a : b).url, user.token));
    attempts.forEach((x) => clients.track(x.socket));
    const outcomes = await Promise.all(attempts.map((x) => x.outcome));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(5);
    expect(outcomes.filter((o) => !o.ok && o.message === 'forbidden')).toHaveLength(19);
  });
});

describe('hardening wire: per-user event budget', () => {
  let t: TestApp;
  const clients = new ClientTracker(() => t.url);
  const userEnv = {
    RATE_LIMIT_EVENTS_PER_SEC: '1',
    RATE_LIMIT_BURST: '100',
    RATE_LIMIT_USER_EVENTS_PER_SEC: '1',
    RATE_LIMIT_USER_BURST: '12',
    RATE_LIMIT_DISCONNECT_AFTER: '20',
  };

  beforeAll(async () => {
    t = await startApp({ env: userEnv });
  });
  afterEach(() => clients.closeAll());
  afterAll(() => t.close());

  /** Sends `count` cheap events at once; returns how many were allowed and the RATE_LIMITED acks. */
  async function burst(client: TestClient, count: number) {
    const acks = await Promise.all(Array.from({ length: count }, () => client.request('modal:list', {})));
    const limited = acks.filter((ack) => !ack.ok && ack.error.code === 'RATE_LIMITED');
    return { allowed: acks.filter((ack) => ack.ok).length, limited };
  }

  it('refuses a user whose sockets together pass the budget, each within its own limit; others are unaffected', async () => {
    const user = await registerUser(t.url);
    const tabs = [await clients.connect(user.token), await clients.connect(user.token)];
    const other = await clients.connect((await registerUser(t.url)).token);
    const [first, second, bystander] = await Promise.all([burst(tabs[0], 10), burst(tabs[1], 10), burst(other, 10)]);
    const allowed = first.allowed + second.allowed;
    // 12 at once plus at most the refill (1/s) during the test; the per-socket limits alone would allow 20.
    expect(allowed).toBeGreaterThanOrEqual(11);
    expect(allowed).toBeLessThanOrEqual(14);
    const limited = [...first.limited, ...second.limited];
    expect(limited.length).toBe(20 - allowed);
    for (const ack of limited) {
      if (ack.ok) continue;
      expect(ack.error.details).toEqual({ retryAfterMs: expect.any(Number) });
      expect((ack.error.details as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
    }
    expect(bystander).toEqual({ allowed: 10, limited: [] });
    // Per-user state lasts only while the user has sockets here.
    const budgets = t.app.get(UserEventBudgets);
    const held = budgets.size;
    clients.closeAll();
    await eventually('per-user state released', async () => (budgets.size <= held - 2 ? true : undefined));
  });

  it('counts refusals by the user budget towards the flooding disconnect', async () => {
    const user = await registerUser(t.url);
    const drain = await clients.connect(user.token);
    const flooder = await clients.connect(user.token);
    await burst(drain, 12);
    const disconnected = new Promise<string>((resolve) => flooder.socket.once('disconnect', resolve));
    for (let i = 0; i < 40; i++) flooder.socket.emit('modal:list', {});
    expect(await disconnected).toBe('io server disconnect');
    expect(drain.socket.connected).toBe(true);
  });

  describe('across two instances on one Redis', () => {
    let a: TestApp;
    let b: TestApp;
    let database: TestDatabase;
    let redis: ReturnType<typeof testRedisPrefix>;
    let skip = false;

    beforeAll(async () => {
      if (!(await redisAvailable())) {
        skip = true;
        return;
      }
      database = await createTestDatabase();
      redis = testRedisPrefix();
      const shared = { database: { url: database.url, drop: async () => undefined }, redisPrefix: redis.prefix, env: userEnv };
      a = await startApp(shared);
      b = await startApp(shared);
    });
    afterAll(async () => {
      await a?.stop();
      await b?.stop();
      await database?.drop();
      await redis?.cleanup();
    });

    it('holds the budget for a user with a socket on each instance', async () => {
      if (skip) return;
      const user = await registerUser(a.url);
      const tabs = [await clients.at(a.url).connect(user.token), await clients.at(b.url).connect(user.token)];
      const results = await Promise.all([burst(tabs[0], 10), burst(tabs[1], 10)]);
      const allowed = results[0].allowed + results[1].allowed;
      // Each instance alone would allow 10 + 10. Shared: the burst plus the refill; an instance
      // may keep up to a chunk (2) leased and unspent.
      expect(allowed).toBeGreaterThanOrEqual(10);
      expect(allowed).toBeLessThanOrEqual(14);
      expect(results[0].limited.length + results[1].limited.length).toBe(20 - allowed);
    });
  });
});

describe('hardening wire: /metrics while Redis is down', () => {
  let redis: FaultServer;
  let redisDown = false;
  let t: TestApp;
  const clients = new ClientTracker(() => t.url);

  beforeAll(async () => {
    redis = await startRedisServer();
    t = await startApp({ env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: `rt-wire:${randomBytes(4).toString('hex')}` } });
  }, 60_000);
  afterAll(async () => {
    clients.closeAll();
    // The app closes its Redis connections cleanly only with Redis up.
    if (redisDown) await redis.start();
    await t?.close();
    await redis?.destroy();
  }, 60_000);

  it('answers 200 with realtime_dependency_up{dependency="redis"} 0 and the last online-user count', async () => {
    const user: TestUser = await registerUser(t.url);
    await clients.connect(user.token);
    const up = await scrape(t);
    expect(metric(up, 'realtime_dependency_up', { dependency: 'redis' })).toBe(1);
    expect(metric(up, 'realtime_online_users')).toBe(1);

    await redis.stop();
    redisDown = true;
    const down = await eventually(
      'redis reported down on /metrics',
      async () => {
        const text = await scrape(t);
        return metric(text, 'realtime_dependency_up', { dependency: 'redis' }) === 0 ? text : undefined;
      },
      20_000,
      250,
    );
    expect(metric(down, 'realtime_dependency_up', { dependency: 'database' })).toBe(1);
    expect(metric(down, 'realtime_online_users')).toBe(1);
    expect(down).toContain('realtime_connections 1');

    await redis.start();
    redisDown = false;
    await eventually(
      'redis back on /metrics',
      async () => (metric(await scrape(t), 'realtime_dependency_up', { dependency: 'redis' }) === 1 ? true : undefined),
      20_000,
      250,
    );
  }, 60_000);
});

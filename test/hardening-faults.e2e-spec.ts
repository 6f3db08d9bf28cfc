import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { io } from 'socket.io-client';
import type { Message } from '../src/contracts';
import { dmConversationId } from '../src/access/conversation-id';
import { startApp, TEST_JWT_SECRET, type TestApp } from './support/app';
import { ClientTracker, connect, connectError, registerUser, type TestClient } from './support/clients';
import { freePort, postgresBinDir, startPostgresServer, startRedisServer, type FaultServer } from './support/fault-servers';
import { startServerProcess, waitForHttp, withTimeout, type ServerProcess } from './support/processes';
import { E2E_WITH_REDIS } from './support/redis';
import { eventually } from './support/raw-socket';
import { CONFIRM_TIMEOUT_MS } from '../src/realtime/realtime.service';
import { connectionKey } from '../src/realtime/connections/redis-connection-store';
import Redis from 'ioredis';

/**
 * Dependencies failing under a running service, on throwaway servers of our own (the shared
 * PostgreSQL and Redis stay up for the other suites): fail fast with catalogue errors, report
 * it on /health, and recover without a restart when the dependency returns.
 */
const FAST_MS = 8000;

/** Sends and returns the ack with how long it took (never waits past `FAST_MS`). */
async function timedSend(client: TestClient, payload: { to: string; content: string }) {
  const started = Date.now();
  const ack = await client.socket
    .timeout(FAST_MS)
    .emitWithAck('message:send', payload)
    .catch((error: Error) => ({ ok: false as const, error: { code: 'NO_ACK', message: error.message } }));
  return { ack: ack as { ok: boolean; data?: Message; error?: { code: string; message: string } }, ms: Date.now() - started };
}

async function waitForHealth(url: string, status: number, timeoutMs = 30_000): Promise<request.Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await request(url)
      .get('/health')
      .timeout(5000)
      .catch(() => undefined);
    if (res?.status === status) return res;
    if (Date.now() > deadline)
      throw new Error(`/health did not answer ${status} within ${timeoutMs} ms (last: ${res?.status} ${JSON.stringify(res?.body)})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const processFaults: string[] = [];
const onRejection = (reason: unknown) =>
  processFaults.push(`unhandledRejection: ${reason instanceof Error ? reason.stack : String(reason)}`);
const onException = (error: Error) => processFaults.push(`uncaughtException: ${error.stack ?? String(error)}`);
beforeAll(() => {
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
});
afterAll(() => {
  process.off('unhandledRejection', onRejection);
  process.off('uncaughtException', onException);
});

const describePg = postgresBinDir() ? describe : describe.skip;

describePg('hardening faults: PostgreSQL goes away and comes back', () => {
  let pg: FaultServer;
  let t: TestApp;
  const clients = new ClientTracker(() => t.url);

  beforeAll(async () => {
    pg = await startPostgresServer();
    t = await startApp({ database: { url: pg.url, drop: async () => undefined }, env: { DATABASE_URL: pg.url } });
  }, 90_000);

  afterAll(async () => {
    clients.closeAll();
    await t?.stop();
    await pg?.destroy();
  }, 60_000);

  it('reports the database on /health, fails fast with INTERNAL (no stack), and recovers without a restart', async () => {
    const alice = await registerUser(t.url);
    const bob = await registerUser(t.url);
    const a = await clients.connect(alice.token);
    const b = await clients.connect(bob.token);
    expect((await timedSend(a, { to: bob.user.id, content: 'before' })).ack.ok).toBe(true);

    await pg.stop();
    const down = await waitForHealth(t.url, 503, 15_000);
    // With TEST_REDIS=1 the app also reports its (healthy) Redis.
    const redisCheck = E2E_WITH_REDIS ? { redis: { status: 'up' } } : {};
    expect(down.body).toEqual({ status: 'error', checks: { database: { status: 'down', error: expect.any(String) }, ...redisCheck } });

    const failed = await timedSend(a, { to: bob.user.id, content: 'during' });
    expect(failed.ack).toEqual({ ok: false, error: { code: 'INTERNAL', reason: 'INTERNAL', message: expect.any(String) } });
    expect(failed.ms).toBeLessThan(FAST_MS);
    // REST: a clean INTERNAL body, nothing of the driver or the stack.
    const rest = await request(t.url).get('/users/me').set('authorization', `Bearer ${alice.token}`).timeout(FAST_MS);
    expect(rest.status).toBe(500);
    expect(rest.body).toEqual({ error: { code: 'INTERNAL', reason: 'INTERNAL', message: expect.any(String) } });
    expect(rest.text).not.toMatch(/ECONNREFUSED|at .*\.(js|ts):\d+|127\.0\.0\.1|postgres/i);
    // A new connection is refused cleanly rather than left hanging.
    const refused = await connectError(t.url, { auth: { token: bob.token } });
    expect(refused).toMatchObject({ message: 'unavailable', data: { code: 'INTERNAL' } });

    await pg.start();
    await waitForHealth(t.url, 200);
    const after = await timedSend(a, { to: bob.user.id, content: 'after' });
    expect(after.ack.ok).toBe(true);
    await b.waitFor('message:new', (m) => m.content === 'after', 5000);
    const history = await a.ok('message:history', { conversationId: dmConversationId(alice.user.id, bob.user.id) });
    expect(history.messages.map((m) => [m.seq, m.content])).toEqual([
      [1, 'before'],
      [2, 'after'],
    ]);
    await clients.connect(bob.token); // a new connection is accepted again
    expect(processFaults).toEqual([]);
  }, 120_000);
});

describe('hardening faults: Redis goes away and comes back', () => {
  let redis: FaultServer;
  let t: TestApp;
  const clients = new ClientTracker(() => t.url);

  const prefix = `rt-fault:${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    redis = await startRedisServer();
    t = await startApp({ env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix } });
  }, 60_000);

  /**
   * The restarted Redis is empty: the instance's next heartbeat finds it taken for dead and
   * reconnects every local socket (rebuilding the registry and presence). Resolves once that
   * heartbeat has run, so sockets connected after it are not caught by it.
   */
  const heartbeatAfterRestart = async () => {
    const probe = new Redis(redis.url);
    try {
      await eventually(
        'the heartbeat after the restart',
        async () => ((await probe.exists(connectionKey(prefix, 'instances'))) ? true : undefined),
        15_000,
      );
    } finally {
      probe.disconnect();
    }
  };

  afterAll(async () => {
    clients.closeAll();
    await t?.close();
    await redis?.destroy();
  }, 60_000);

  it('reports redis on /health, keeps serving or fails fast, and recovers when Redis returns', async () => {
    const alice = await registerUser(t.url);
    const bob = await registerUser(t.url);
    const a = await clients.connect(alice.token);
    const b = await clients.connect(bob.token);
    expect((await timedSend(a, { to: bob.user.id, content: 'before' })).ack.ok).toBe(true);
    await b.waitFor('message:new', (m) => m.content === 'before');

    await redis.stop();
    const down = await waitForHealth(t.url, 503, 15_000);
    expect(down.body.checks.redis).toEqual({ status: 'down', error: expect.any(String) });
    expect(down.body.checks.database).toEqual({ status: 'up' });

    // Between two users on this instance: served, or refused quickly with a catalogue error.
    const during = await timedSend(a, { to: bob.user.id, content: 'during' });
    expect(during.ms).toBeLessThan(FAST_MS);
    if (!during.ack.ok) expect(during.ack.error?.code).toBe('INTERNAL');
    // A handshake either succeeds or is refused, never hangs.
    const handshake = await withTimeout(
      new Promise<string>((resolve) => {
        const socket = io(t.url, { auth: { token: bob.token }, transports: ['websocket'], reconnection: false, forceNew: true });
        socket.once('session', () => (socket.disconnect(), resolve('session')));
        socket.once('connect_error', (e) => (socket.disconnect(), resolve(`connect_error ${e.message}`)));
        socket.once('disconnect', () => resolve('disconnected'));
      }),
      FAST_MS + 2000,
      'handshake while Redis is down',
    );
    console.log(
      `Redis down: message:send ${during.ack.ok ? 'served' : during.ack.error?.code} in ${during.ms} ms; handshake → ${handshake}`,
    );

    await redis.start();
    await waitForHealth(t.url, 200);
    // Back to normal for old and new sockets, without restarting the app.
    const deadline = Date.now() + 15_000;
    let after = await timedSend(a, { to: bob.user.id, content: 'after' });
    while (!after.ack.ok && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      after = await timedSend(a, { to: bob.user.id, content: 'after' });
    }
    expect(after.ack.ok).toBe(true);
    await b.waitFor('message:new', (m) => m.content === 'after', 5000);
    const fresh = await clients.connect(bob.token);
    expect((await timedSend(fresh, { to: alice.user.id, content: 'fresh' })).ack.ok).toBe(true);
    await a.waitFor('message:new', (m) => m.content === 'fresh', 5000);
    expect(processFaults).toEqual([]);
    await heartbeatAfterRestart();
  }, 120_000);

  it('answers a room:leave while Redis is down (the other instances cannot confirm) and keeps it', async () => {
    const alice = await registerUser(t.url);
    const bob = await registerUser(t.url);
    const a = await clients.connect(alice.token);
    const b = await clients.connect(bob.token);
    const room = await a.ok('room:create', { name: 'outage', members: [bob.user.id] });
    await redis.stop();
    await waitForHealth(t.url, 503, 15_000);
    // No instance can confirm it caught up: the leave is answered without waiting for them, and applied.
    const started = Date.now();
    const left = await b.socket.timeout(CONFIRM_TIMEOUT_MS + FAST_MS).emitWithAck('room:leave', { roomId: room.id });
    console.log(`Redis down: room:leave answered in ${Date.now() - started} ms`);
    expect(left).toEqual({ ok: true, data: { roomId: room.id } });
    await redis.start();
    await waitForHealth(t.url, 200);
    // A long outage may have the instance taken for dead (its sockets are then reconnected): a fresh socket reads the room.
    const fresh = await clients.connect(alice.token);
    expect((await fresh.ok('room:members', { roomId: room.id })).members.map((m) => m.userId)).toEqual([alice.user.id]);
    expect(processFaults).toEqual([]);
  }, 120_000);
});

describe('hardening faults: kill -9 under send load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rt-fault-kill-'));
  const procs: ServerProcess[] = [];

  afterAll(async () => {
    for (const p of procs) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    rmSync(dir, { recursive: true, force: true });
  });

  async function boot(port: number): Promise<ServerProcess> {
    const proc = startServerProcess(
      {
        PORT: String(port),
        DATABASE_URL: `sqlite:${join(dir, 'kill.db')}`,
        JWT_SECRET: TEST_JWT_SECRET,
        LOG_LEVEL: 'silent',
        NODE_ENV: 'test',
        RATE_LIMIT_BURST: '100000',
        RATE_LIMIT_EVENTS_PER_SEC: '100000',
        RATE_LIMIT_USER_BURST: '100000',
        RATE_LIMIT_USER_EVENTS_PER_SEC: '100000',
      },
      dir,
    );
    procs.push(proc);
    await waitForHttp(`http://127.0.0.1:${port}/health`, 30_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${proc.output()}`);
    });
    return proc;
  }

  it('keeps every acknowledged message across a SIGKILL and a restart', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const first = await boot(port);
    const alice = await registerUser(url);
    const bob = await registerUser(url);
    const senders = await Promise.all([connect(url, alice.token), connect(url, alice.token), connect(url, bob.token)]);
    const acked: Message[] = [];
    let stop = false;
    const streams = senders.map(async (client, s) => {
      const to = s < 2 ? bob.user.id : alice.user.id;
      for (let i = 0; !stop && i < 100_000; i++) {
        const ack = await client.socket
          .timeout(5000)
          .emitWithAck('message:send', { to, content: `s${s}-${i}`, clientMsgId: `s${s}-${i}` })
          .catch(() => undefined);
        if (!ack) return; // the server died mid-request: that message was never acknowledged
        if ((ack as { ok: boolean }).ok) acked.push((ack as { data: Message }).data);
      }
    });
    // Kill once a good number of sends went through, in the middle of the stream.
    const deadline = Date.now() + 20_000;
    while (acked.length < 150 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    stop = true;
    await Promise.all(streams);
    senders.forEach((c) => c.close());
    expect(acked.length).toBeGreaterThanOrEqual(150);

    await boot(port);
    const conversationId = dmConversationId(alice.user.id, bob.user.id);
    const stored: Message[] = [];
    for (let after = 0, page = 0; page < 1000; page++) {
      const res = await request(url)
        .get(`/conversations/${conversationId}/messages?after=${after}&limit=100`)
        .set('authorization', `Bearer ${alice.token}`)
        .expect(200);
      stored.push(...(res.body.messages as Message[]));
      if (!res.body.hasMore) break;
      after = stored[stored.length - 1].seq;
    }
    const storedIds = new Set(stored.map((m) => m.id));
    const lost = acked.filter((m) => !storedIds.has(m.id));
    console.log(`kill -9: ${acked.length} acknowledged, ${stored.length} stored after restart, ${lost.length} lost`);
    expect(lost).toEqual([]);
    // Gap-free sequence, as the README promises (seq goes up by one per conversation).
    expect(stored.map((m) => m.seq)).toEqual(stored.map((_, i) => i + 1));
  }, 120_000);
});

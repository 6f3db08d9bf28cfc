import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type { Message, WebhookBody } from '../src/contracts';
import { startPair, TEST_JWT_SECRET, type AppPair, type TestApp } from './support/app';
import { ClientTracker, registerUser, settle } from './support/clients';
import { freePort } from './support/cluster';
import { createTestDatabase, type TestDatabase } from './support/databases';
import { startServerProcess, waitForHttp, withTimeout, type ServerProcess } from './support/processes';
import { verify, WebhookReceiver, type Delivery } from './support/webhook-receiver';

const SECRET = 'webhook-secret-0123456789-0123456789-abc';
const KEY = 'server-key-0123456789-0123456789-abcdef';
const GRACE_MS = 800;

const webhookEnv = (receiver: WebhookReceiver) => ({
  WEBHOOK_URLS: receiver.url,
  WEBHOOK_SECRET: SECRET,
  WEBHOOK_POLL_MS: '50',
  WEBHOOK_RETRY_MIN_MS: '100',
  SERVER_API_KEYS: KEY,
  PRESENCE_GRACE_MS: String(GRACE_MS),
});

/**
 * Webhooks to a real receiver. With TEST_REDIS=1 two instances share the database and Redis, and
 * every event must still arrive once.
 */
describe('webhooks', () => {
  let receiver: WebhookReceiver;
  let a: TestApp;
  let b: TestApp;
  let pair: AppPair;
  const clients = new ClientTracker(() => a.url);
  const onB = () => clients.at(b.url);

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    const env = webhookEnv(receiver);
    pair = await startPair(env);
    ({ a, b } = pair);
  });
  afterEach(() => {
    clients.closeAll();
    receiver.respond = () => 200;
  });
  afterAll(async () => {
    await pair?.close();
    await receiver?.close();
  });

  const serverPost = (app: TestApp, path: string, body: object) =>
    request(app.url)
      .post(`/server/v1${path}`)
      .set({ authorization: `Bearer ${KEY}` })
      .send(body);

  /** Signed with WEBHOOK_SECRET, headers matching the body. */
  const expectSigned = (delivery: Delivery) => {
    expect(verify(SECRET, delivery)).toEqual(delivery.body);
    expect(delivery.headers['webhook-id']).toBe(delivery.body.id);
    expect(Number(delivery.headers['webhook-timestamp'])).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(delivery.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(delivery.body).toEqual({
      id: expect.stringMatching(/^evt_/),
      type: expect.any(String),
      createdAt: expect.any(String),
      data: expect.anything(),
    });
  };

  it('delivers every wired type, signed the Standard Webhooks way and verifiable', async () => {
    const alice = await clients.signIn();
    const bob = await onB().signIn();
    const room = await alice.client.ok('room:create', { name: 'hooks' });
    await bob.client.ok('room:join', { roomId: room.id });
    const message = await bob.client.ok('message:send', { roomId: room.id, content: 'hello hooks' });
    const edited = await bob.client.ok('message:edit', { messageId: message.id, content: 'hello hooks, edited' });
    const { reactions } = await alice.client.ok('message:react', { messageId: message.id, emoji: '👍', on: true });
    await bob.client.ok('message:delete', { messageId: message.id });
    await bob.client.ok('room:leave', { roomId: room.id });
    await alice.client.ok('modal:open', { modalId: 'invoice-7' });
    await alice.client.ok('modal:close', { modalId: 'invoice-7' });
    alice.client.close();

    const got = {
      online: await receiver.success('user.online', (e) => e.data.user.id === alice.user.id),
      created: await receiver.success('room.created', (e) => e.data.room.id === room.id),
      joined: await receiver.success('room.member_joined', (e) => e.data.roomId === room.id),
      message: await receiver.success('message.created', (e) => e.data.message.id === message.id),
      edited: await receiver.success(
        'message.updated',
        (e) => e.data.message.id === message.id && e.data.message.editedAt !== undefined && !e.data.message.reactions,
      ),
      reacted: await receiver.success('message.updated', (e) => e.data.message.id === message.id && e.data.message.reactions !== undefined),
      deleted: await receiver.success('message.deleted', (e) => e.data.messageId === message.id),
      left: await receiver.success('room.member_left', (e) => e.data.roomId === room.id),
      opened: await receiver.success('modal.opened', (e) => e.data.modalId === 'invoice-7'),
      closed: await receiver.success('modal.closed', (e) => e.data.modalId === 'invoice-7'),
      offline: await receiver.success('user.offline', (e) => e.data.user.id === alice.user.id),
    };
    for (const delivery of Object.values(got)) expectSigned(delivery);
    expect(got.online.body.data).toEqual({ user: alice.user });
    expect(got.created.body.data).toEqual({ room, memberIds: [alice.user.id] });
    expect(got.joined.body.data).toEqual({ roomId: room.id, userId: bob.user.id });
    expect(got.message.body.data).toEqual({ message });
    expect(got.edited.body.data).toEqual({ message: edited });
    expect(got.reacted.body.data).toMatchObject({ message: { id: message.id, content: 'hello hooks, edited', reactions } });
    expect(got.deleted.body.data).toEqual({ messageId: message.id, conversationId: message.conversationId });
    expect(got.left.body.data).toEqual({ roomId: room.id, userId: bob.user.id });
    expect(got.opened.body.data).toEqual({
      modalId: 'invoice-7',
      viewer: expect.objectContaining({ userId: alice.user.id, sessionId: alice.sessionId }),
    });
    expect(got.closed.body.data).toEqual({ modalId: 'invoice-7', userId: alice.user.id, sessionId: alice.sessionId, reason: 'closed' });
    expect(got.offline.body.data).toEqual({ user: alice.user, lastSeenAt: expect.any(String) });

    // A tampered body or a wrong secret does not verify.
    expect(() => verify(SECRET, { ...got.message, raw: got.message.raw.replace('hello', 'HELLO') })).toThrow();
    expect(() => verify(`${SECRET}x`, got.message)).toThrow();
  });

  it('retries a failing receiver with one more attempt each time, then stops at exactly one success', async () => {
    const { user } = await registerUser(a.url);
    receiver.respond = (body, attempt) =>
      (body as WebhookBody<'message.created'>).data.message?.content === 'flaky' && attempt <= 3 ? 503 : 200;
    const message = (await serverPost(a, '/messages', { to: user.id, content: 'flaky' }).expect(201)).body as Message;
    const success = await receiver.success('message.created', (e) => e.data.message.id === message.id);
    await settle(600); // longer than the next backoff step: a further attempt would show
    const attempts = receiver.deliveries.filter((d) => d.body.id === success.body.id);
    expect(attempts.map((d) => d.status)).toEqual([503, 503, 503, 200]);
    expect(new Set(attempts.map((d) => d.raw)).size).toBe(1);
    for (const attempt of attempts) expectSigned(attempt);

    // The attempts were made by whichever instance claimed the event: read both.
    const metrics = (await Promise.all([a, b].map((app) => request(app.url).get('/metrics').expect(200)))).map((r) => r.text).join('\n');
    expect(metrics).toMatch(/realtime_webhook_attempts_total\{type="message.created",outcome="failed"\} [1-9]/);
    expect(metrics).toMatch(/realtime_webhook_failures_total\{reason="status 503"\} [1-9]/);
    expect(metrics).toMatch(/realtime_webhook_delivery_lag_seconds_count\{type="message.created"\} [1-9]/);
  });

  it('sends no user.offline for a reload (reconnect within the grace period, on another instance too)', async () => {
    const alice = await clients.signIn();
    await receiver.success('user.online', (e) => e.data.user.id === alice.user.id);
    alice.client.close();
    const again = await onB().signIn(alice, { sessionId: alice.sessionId });
    await settle(GRACE_MS + 700);
    expect(
      receiver.deliveries.filter(
        (d) => d.body.type === 'user.offline' && (d.body as WebhookBody<'user.offline'>).data.user.id === alice.user.id,
      ),
    ).toEqual([]);
    expect(receiver.succeeded('user.online', (e) => e.data.user.id === alice.user.id)).toHaveLength(1);
    again.client.close();
    await receiver.success('user.offline', (e) => e.data.user.id === alice.user.id);
    await settle(300);
    expect(receiver.succeeded('user.offline', (e) => e.data.user.id === alice.user.id)).toHaveLength(1);
  });

  it('delivers each event once, whichever instance recorded it (two instances with TEST_REDIS=1)', async () => {
    const { user } = await registerUser(a.url);
    const sent: Message[] = [];
    for (let i = 0; i < 20; i += 1)
      sent.push((await serverPost(i % 2 ? b : a, '/messages', { to: user.id, content: `once ${i}` }).expect(201)).body as Message);
    for (const message of sent) await receiver.success('message.created', (e) => e.data.message.id === message.id);
    await settle(300);
    for (const message of sent) {
      const deliveries = receiver.deliveries.filter(
        (d) => d.body.type === 'message.created' && (d.body as WebhookBody<'message.created'>).data.message.id === message.id,
      );
      expect(deliveries).toHaveLength(1);
    }
  });
});

describe('webhooks across a crash (kill -9 of the server process)', () => {
  let receiver: WebhookReceiver;
  let database: TestDatabase;
  let cwd: string;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    database = await createTestDatabase();
    cwd = mkdtempSync(join(tmpdir(), 'realtime-hooks-'));
  });
  afterAll(async () => {
    server?.child.kill('SIGKILL');
    await receiver?.close();
    await database?.drop();
    rmSync(cwd, { recursive: true, force: true });
  });

  const start = async (): Promise<string> => {
    const port = await freePort();
    const env = {
      NODE_ENV: 'test',
      PORT: String(port),
      JWT_SECRET: TEST_JWT_SECRET,
      DATABASE_URL: database.url,
      LOG_LEVEL: 'warn',
      // A delivery in flight at the kill holds its lease (timeout + up to 5 s): short here, so the test is quick.
      WEBHOOK_TIMEOUT_MS: '1000',
      ...webhookEnv(receiver),
    };
    server = startServerProcess(env, cwd);
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/health`, 20000);
    return url;
  };

  it('delivers an event recorded before the crash after the restart', async () => {
    receiver.respond = () => 503;
    const url = await start();
    const { user } = await registerUser(url);
    const message = (
      await request(url)
        .post('/server/v1/messages')
        .set({ authorization: `Bearer ${KEY}` })
        .send({ to: user.id, content: 'survives' })
        .expect(201)
    ).body as Message;
    // Committed and attempted, not delivered: then the process dies without any shutdown.
    const failed = await receiver.waitFor((d) => d.body.type === 'message.created' && d.status === 503);
    server!.child.kill('SIGKILL');
    await withTimeout(server!.exited, 10000, 'exit after SIGKILL');

    receiver.respond = () => 200;
    await start();
    const delivered = await receiver.success('message.created', (e) => e.data.message.id === message.id, 20000);
    expect(delivered.body.id).toBe(failed.body.id);
    expect(verify(SECRET, delivered)).toEqual(delivered.body);
    server!.child.kill('SIGTERM');
    await withTimeout(server!.exited, 10000, 'exit after SIGTERM');
  });
});

import request from 'supertest';
import type { Socket } from 'socket.io-client';
import { ERROR_CODES, ERROR_REASONS, type ClientEventName, type ErrorReason } from '../src/contracts';
import { encodeConversationCursor } from '../src/chat/conversation-cursor';
import { dmConversationId } from '../src/access/conversation-id';
import { startApp, type TestApp } from './support/app';
import { ClientTracker, registerUser, settle, type TestClient, type TestUser } from './support/clients';
import { fuzzCase, fuzzSeed, RAW_PACKETS, Rng, type FuzzCase, type PayloadSpec } from './support/fuzz';

/**
 * Every client event gets thousands of generated bad payloads (the README: bad input of any kind
 * gets a clear error and never crashes or stalls the server, nor affects other users).
 * Replay a failure with FUZZ_SEED=<printed seed>; FUZZ_CASES_PER_EVENT scales the run.
 */
const MAX_PAYLOAD_BYTES = 32_768;
/** Strings up to this length still fit in one packet with the rest of a payload. */
const HUGE_WITHIN = 20_000;
const CASES_PER_EVENT = Number(process.env.FUZZ_CASES_PER_EVENT ?? 200);
/** Share of cases emitted without an ack callback (failures then come back as `exception`). */
const NO_ACK_SHARE = 0.15;
const IN_FLIGHT = 32;
const ACK_TIMEOUT_MS = 10_000;

interface Ctx {
  fuzzer: TestUser;
  control: TestUser;
  roomId: string;
}

/** A valid payload and the required fields of every client event. Typed against the contract:
 * a new event in ClientEventMap does not compile until it is added here. */
const SPECS: { [E in ClientEventName]: (ctx: Ctx) => PayloadSpec } = {
  'session:refresh': (c) => ({ base: { token: c.fuzzer.token }, required: ['token'] }),
  'message:send': (c) => ({ base: { to: c.control.user.id, content: 'fuzz', clientMsgId: 'fz-1' }, required: ['content', 'to'] }),
  'message:history': (c) => ({
    base: { conversationId: dmConversationId(c.fuzzer.user.id, c.control.user.id), before: 10, after: 0, limit: 5 },
    required: ['conversationId'],
  }),
  'message:read': (c) => ({
    base: { conversationId: dmConversationId(c.fuzzer.user.id, c.control.user.id), seq: 0 },
    required: ['conversationId', 'seq'],
  }),
  'message:edit': () => ({ base: { messageId: 'no-such-message', content: 'fuzz' }, required: ['messageId', 'content'] }),
  'message:delete': () => ({ base: { messageId: 'no-such-message' }, required: ['messageId'] }),
  'message:react': () => ({ base: { messageId: 'no-such-message', emoji: '👍', on: true }, required: ['messageId', 'emoji', 'on'] }),
  'message:search': (c) => ({
    base: { query: 'fuzz', conversationId: dmConversationId(c.fuzzer.user.id, c.control.user.id), limit: 5, before: '5' },
    required: ['query'],
  }),
  'conversation:changes': (c) => ({
    base: { cursors: [`${dmConversationId(c.fuzzer.user.id, c.control.user.id)}@0.0`], limit: 10 },
    required: ['cursors'],
  }),
  'conversation:list': (c) => ({
    base: {
      limit: 5,
      before: encodeConversationCursor({
        activity: new Date().toISOString(),
        conversationId: dmConversationId(c.fuzzer.user.id, c.control.user.id),
      }),
    },
    required: [],
  }),
  typing: (c) => ({ base: { to: c.control.user.id, isTyping: true }, required: ['isTyping', 'to'] }),
  'room:create': (c) => ({ base: { name: 'fuzz room', visibility: 'public', members: [c.control.user.id] }, required: ['name'] }),
  'room:list': () => ({ base: { scope: 'public' }, required: [] }),
  'room:join': (c) => ({ base: { roomId: c.roomId }, required: ['roomId'] }),
  'room:members': (c) => ({
    // A well-formed cursor (any position), so mutations of `after` reach the cursor decoder too.
    base: {
      roomId: c.roomId,
      after: Buffer.from(JSON.stringify(['2000-01-01T00:00:00.000Z', c.fuzzer.user.id])).toString('base64url'),
      limit: 10,
    },
    required: ['roomId'],
  }),
  'room:invite': (c) => ({ base: { roomId: c.roomId, userId: c.control.user.id }, required: ['roomId', 'userId'] }),
  'room:leave': (c) => ({ base: { roomId: c.roomId }, required: ['roomId'] }),
  'room:update': (c) => ({ base: { roomId: c.roomId, name: 'fuzzed', visibility: 'public' }, required: ['roomId'] }),
  'room:kick': (c) => ({ base: { roomId: c.roomId, userId: c.control.user.id }, required: ['roomId', 'userId'] }),
  'room:set-role': (c) => ({
    base: { roomId: c.roomId, userId: c.control.user.id, role: 'admin' },
    required: ['roomId', 'userId', 'role'],
  }),
  // Another room than the fuzzer's own, so the other events keep a room to be fuzzed against.
  'room:delete': () => ({ base: { roomId: 'fuzz-no-such-room' }, required: ['roomId'] }),
  'user:block': (c) => ({ base: { userId: c.control.user.id }, required: ['userId'] }),
  'user:unblock': (c) => ({ base: { userId: c.control.user.id }, required: ['userId'] }),
  'user:blocks': () => ({ base: { limit: 10 }, required: [] }),
  'presence:subscribe': (c) => ({ base: { userIds: [c.control.user.id], all: false }, required: [] }),
  'presence:unsubscribe': (c) => ({ base: { userIds: [c.control.user.id], all: false }, required: [] }),
  'presence:list': (c) => ({ base: { userIds: [c.control.user.id] }, required: [] }),
  'presence:set': () => ({ base: { status: 'away', statusText: 'brb' }, required: ['status'] }),
  'modal:open': () => ({ base: { modalId: 'fuzz-modal', exclusive: false }, required: ['modalId'] }),
  'modal:close': () => ({ base: { modalId: 'fuzz-modal' }, required: ['modalId'] }),
  'modal:list': () => ({ base: { modalId: 'fuzz-modal' }, required: [] }),
  'modal:watch': () => ({ base: { modalIds: ['fuzz-modal'], prefixes: ['fuzz-'] }, required: [] }),
  'modal:unwatch': () => ({ base: { modalIds: ['fuzz-modal'], prefixes: ['fuzz-'] }, required: [] }),
  'modal:request': () => ({ base: { modalId: 'fuzz-modal' }, required: ['modalId'] }),
  'modal:release': (c) => ({ base: { modalId: 'fuzz-modal', to: c.control.user.id }, required: ['modalId'] }),
};
const EVENTS = Object.keys(SPECS) as ClientEventName[];

/** What a bystander (in no conversation, room or subscription of the fuzzer, watching no modal) may receive. */
const BROADCAST_TO_EVERYONE = new Set(['session', 'modal:state']);

type Envelope = { ok: boolean; data?: unknown; error?: { code?: unknown; reason?: unknown; message?: unknown; details?: unknown } };

/** Why an answer is not a well-formed envelope for a case, or undefined when it is fine. */
function problemWith(answer: unknown, verdict: FuzzCase['verdict']): string | undefined {
  if (typeof answer !== 'object' || answer === null) return 'not an object';
  const a = answer as Envelope;
  if (a.ok === true) {
    if (verdict === 'invalid') return 'accepted an invalid payload';
    if (typeof a.data !== 'object' || a.data === null) return 'ok without object data';
    if (Object.keys(a).some((k) => k !== 'ok' && k !== 'data')) return 'extra envelope keys';
    return undefined;
  }
  if (a.ok !== false) return 'no ok flag';
  if (Object.keys(a).some((k) => k !== 'ok' && k !== 'error')) return 'extra envelope keys';
  const e = a.error;
  if (!e || typeof e !== 'object') return 'no error object';
  if (Object.keys(e).some((k) => !['code', 'reason', 'message', 'details'].includes(k))) return 'extra error keys';
  if (!ERROR_CODES.includes(e.code as never)) return `code ${String(e.code)} not in the catalogue`;
  const reason = ERROR_REASONS[e.reason as ErrorReason] as { code: string } | undefined;
  if (!reason) return `reason ${String(e.reason)} not in the catalogue`;
  if (reason.code !== e.code) return `reason ${String(e.reason)} does not go with code ${String(e.code)}`;
  if (typeof e.message !== 'string' || e.message.length === 0 || e.message.length > 1000) return 'bad message';
  if (/\n\s+at /.test(e.message) || /\.ts:\d+|node_modules/.test(e.message)) return 'stack in message';
  if (e.code === 'INTERNAL') return 'INTERNAL for client input';
  if (verdict === 'invalid' && e.code !== 'BAD_REQUEST') return `expected BAD_REQUEST, got ${String(e.code)}`;
  return undefined;
}

function describeCase(event: string, c: FuzzCase): string {
  let payload: string;
  try {
    payload = JSON.stringify(c.payload) ?? String(c.payload);
  } catch {
    payload = String(c.payload);
  }
  return `${event} [${c.strategy}] ${payload.slice(0, 200)}`;
}

describe('hardening: fuzzing every client event', () => {
  const seed = fuzzSeed();
  let t: TestApp;
  let ctx: Ctx;
  let peer: TestUser;
  let fuzzA: TestClient;
  let fuzzNoAck: TestClient;
  let control: TestClient;
  let controlPeer: TestClient;
  let bystander: TestClient;
  const clients = new ClientTracker(() => t.url);
  const processFaults: string[] = [];
  const onRejection = (reason: unknown) => processFaults.push(`unhandledRejection: ${String(reason)}`);
  const onException = (error: Error) => processFaults.push(`uncaughtException: ${error.stack ?? String(error)}`);

  beforeAll(async () => {
    console.log(`hardening fuzz: FUZZ_SEED=${seed} (${CASES_PER_EVENT} cases per event, ${EVENTS.length} events)`);
    process.on('unhandledRejection', onRejection);
    process.on('uncaughtException', onException);
    t = await startApp({
      env: {
        // Validation is under test, not the limiter.
        RATE_LIMIT_BURST: '1000000',
        RATE_LIMIT_EVENTS_PER_SEC: '1000000',
        RATE_LIMIT_USER_BURST: '1000000',
        RATE_LIMIT_USER_EVENTS_PER_SEC: '1000000',
        RATE_LIMIT_DISCONNECT_AFTER: '1000000',
        MAX_PAYLOAD_BYTES: String(MAX_PAYLOAD_BYTES),
      },
    });
    const [fuzzer, controlUser, peerUser, bystanderUser] = await Promise.all([
      registerUser(t.url),
      registerUser(t.url),
      registerUser(t.url),
      registerUser(t.url),
    ]);
    peer = peerUser;
    fuzzA = await clients.connect(fuzzer.token);
    fuzzNoAck = await clients.connect(fuzzer.token);
    control = await clients.connect(controlUser.token);
    controlPeer = await clients.connect(peer.token);
    bystander = await clients.connect(bystanderUser.token);
    const room = await fuzzA.ok('room:create', { name: 'fuzz base room' });
    ctx = { fuzzer, control: controlUser, roomId: room.id };
  }, 60_000);

  afterAll(async () => {
    clients.closeAll();
    await t?.close();
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  });

  /** Health, a control user's DM round trip and a bystander's request, all answered in time. */
  async function probe(label: string): Promise<string[]> {
    const failures: string[] = [];
    const started = Date.now();
    const content = `probe ${label} ${started}`;
    const health = await request(t.url)
      .get('/health')
      .timeout(5000)
      .then(
        (r) => r.status,
        (e: Error) => e.message,
      );
    if (health !== 200) failures.push(`${label}: /health answered ${health}`);
    const delivered = controlPeer
      .waitFor('message:new', (m) => m.content === content, 8000)
      .then(
        () => undefined,
        (e: Error) => `${label}: control DM not delivered: ${e.message}`,
      );
    const sent = await control.socket
      .timeout(8000)
      .emitWithAck('message:send', { to: peer.user.id, content })
      .catch((e: Error) => e);
    if (!(sent && (sent as Envelope).ok === true)) failures.push(`${label}: control send failed: ${JSON.stringify(sent)}`);
    const fromDelivery = await delivered;
    if (fromDelivery) failures.push(fromDelivery);
    const list = await bystander.socket
      .timeout(8000)
      .emitWithAck('modal:list', {})
      .catch((e: Error) => e);
    if (!(list && (list as Envelope).ok === true)) failures.push(`${label}: bystander request failed: ${String(list)}`);
    const elapsed = Date.now() - started;
    if (elapsed > 10_000) failures.push(`${label}: probe took ${elapsed} ms`);
    return failures;
  }

  it(`answers every generated payload with a well-formed envelope and stays responsive`, async () => {
    const rng = new Rng(seed);
    const cases: { event: ClientEventName; c: FuzzCase; ack: boolean; extraArg: boolean }[] = [];
    for (const event of EVENTS) {
      const spec = SPECS[event](ctx);
      for (let i = 0; i < CASES_PER_EVENT; i++) {
        cases.push({ event, c: fuzzCase(rng, spec, HUGE_WITHIN), ack: !rng.chance(NO_ACK_SHARE), extraArg: rng.chance(0.05) });
      }
    }
    // Interleave events so handlers run concurrently with each other's bad input.
    for (let i = cases.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [cases[i], cases[j]] = [cases[j], cases[i]];
    }

    const problems: string[] = [];
    const probeFailures: string[] = [];
    let stopProbing = false;
    const prober = (async () => {
      for (let round = 0; !stopProbing && round < 1000; round++) {
        probeFailures.push(...(await probe(`during #${round}`)));
        await settle(200);
      }
    })();

    let acked = 0;
    let accepted = 0;
    let expectedExceptions = 0;
    let noAck = 0;
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const { event, c, ack, extraArg } = cases[next++];
        const args: unknown[] = c.payload === undefined && !extraArg ? [] : [c.payload];
        if (extraArg) args.push('extra', { argument: 2 });
        if (!ack) {
          noAck++;
          if (c.verdict === 'invalid') expectedExceptions++;
          (fuzzNoAck.socket.emit as (e: string, ...a: unknown[]) => Socket)(event, ...args);
          continue;
        }
        try {
          const answer = await (fuzzA.socket.timeout(ACK_TIMEOUT_MS).emitWithAck as (e: string, ...a: unknown[]) => Promise<unknown>)(
            event,
            ...args,
          );
          acked++;
          if ((answer as Envelope)?.ok === true) accepted++;
          const problem = problemWith(answer, c.verdict);
          if (problem) problems.push(`${problem}: ${describeCase(event, c)} → ${JSON.stringify(answer).slice(0, 300)}`);
        } catch (error) {
          problems.push(`no ack (${(error as Error).message}): ${describeCase(event, c)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));

    // Every definitely-invalid emit without ack comes back as one `exception`.
    const deadline = Date.now() + 15_000;
    while (fuzzNoAck.all('exception').length < expectedExceptions && Date.now() < deadline) await settle(100);
    await fuzzNoAck.ok('conversation:list', {});
    await settle(200);
    const exceptions = fuzzNoAck.all('exception');
    stopProbing = true;
    await prober;

    console.log(
      `hardening fuzz: ${cases.length} cases, ${acked} acked (${accepted} accepted as valid), ` +
        `${noAck} without ack → ${exceptions.length} exceptions (≥ ${expectedExceptions} expected)`,
    );
    expect(problems.slice(0, 20)).toEqual([]);
    expect(exceptions.length).toBeGreaterThanOrEqual(expectedExceptions);
    expect(exceptions.length).toBeLessThanOrEqual(noAck);
    for (const ex of exceptions) {
      expect(EVENTS).toContain(ex.event);
      expect(problemWith({ ok: false, error: ex.error }, 'maybe')).toBeUndefined();
    }
    expect(probeFailures).toEqual([]);
    expect(fuzzA.socket.connected && fuzzNoAck.socket.connected).toBe(true);
  }, 120_000);

  it('drops a packet over MAX_PAYLOAD_BYTES for every event, without an ack, and keeps serving', async () => {
    const rng = new Rng(seed ^ 0xbeef);
    const huge = 'y'.repeat(MAX_PAYLOAD_BYTES + 1000);
    for (const event of EVENTS) {
      const client = await clients.connect(ctx.fuzzer.token);
      const spec = SPECS[event](ctx);
      const fields = Object.keys(spec.base);
      const payload = fields.length && rng.chance(0.7) ? { ...spec.base, [rng.pick(fields)]: huge } : huge;
      const acks: unknown[] = [];
      const closed = new Promise<string>((resolve) => client.socket.once('disconnect', resolve));
      client.socket.emit(event, payload, (a: unknown) => acks.push(a));
      expect(await closed).toBe('transport close');
      expect(acks).toEqual([]);
    }
    expect(await probe('after oversized packets')).toEqual([]);
  }, 60_000);

  it('survives raw malformed socket.io packets (parser errors, reserved and absurd event names)', async () => {
    const outcomes: string[] = [];
    const summary: string[] = [];
    for (const packet of RAW_PACKETS) {
      const client = await clients.connect(ctx.fuzzer.token);
      const closed = new Promise<string>((resolve) => client.socket.once('disconnect', resolve));
      // Straight onto the engine.io transport, past socket.io-client's own encoder and checks.
      (client.socket.io.engine as unknown as { write(data: string): void }).write(packet);
      let outcome = await Promise.race([closed.then((r) => `closed (${r})`), settle(300).then(() => 'open')]);
      if (outcome === 'open') {
        // Still connected: it must be served normally, or be cut off (a half-received binary
        // packet makes the parser refuse what follows) — never left hanging.
        const ack = await client.socket
          .timeout(5000)
          .emitWithAck('conversation:list', {})
          .catch((e: Error) => e);
        if (ack instanceof Error) {
          if (client.socket.connected) outcomes.push(`${packet}: no answer after it (${ack.message})`);
          outcome = 'closed on the next packet';
        } else if (!(ack as Envelope).ok) outcomes.push(`${packet}: served badly after: ${JSON.stringify(ack)}`);
      }
      summary.push(`${packet} → ${outcome}${client.all('exception').length ? ' + exception' : ''}`);
      for (const ex of client.all('exception')) {
        const problem = problemWith({ ok: false, error: ex.error }, 'maybe');
        if (problem) outcomes.push(`${packet}: exception ${problem}`);
      }
      client.close();
    }
    console.log(`hardening fuzz: raw packets\n  ${summary.join('\n  ')}`);
    expect(outcomes).toEqual([]);
    expect(await probe('after raw packets')).toEqual([]);
  }, 60_000);

  it('let no bystander receive anything of the fuzzing and no process-level fault fire', async () => {
    await settle(300);
    const leaked = bystander.received.filter((r) => !BROADCAST_TO_EVERYONE.has(r.event));
    expect(leaked.map((r) => r.event)).toEqual([]);
    expect(bystander.socket.connected).toBe(true);
    expect(processFaults).toEqual([]);
    // The control user got the fuzzer's accepted messages and nothing malformed.
    for (const m of control.all('message:new')) expect(typeof m.content).toBe('string');
  });
});

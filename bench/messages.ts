/**
 * `npm run bench:messages`: the chat features of 0.2 on the built service (dist/main.js, SQLite):
 *
 * - `message:search` latency with 100,000 stored messages (seeded straight into the database and
 *   indexed by the service's own search indexer, as sent messages are; one untimed search first
 *   waits for that), one query at a time from a user who may read a quarter of them;
 * - throughput of a closed loop of DMs with reactions and edits mixed in (70 % `message:send`,
 *   20 % `message:react`, 10 % `message:edit`), counted as acknowledged operations per second.
 *
 * Options: --messages=N (100000), --queries=N (200), --seconds=N (5), --inflight=N (64), --react=0.2,
 * --edit=0.1 (shares of the mixed loop), --keep-tmp.
 * Medians of one run; the machine (2 cores, shared) is noisy, so compare runs made together.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import jwt from 'jsonwebtoken';
import { io, type Socket } from 'socket.io-client';
import { log, parseArgs, repo, startServer, stopServer } from './harness';

const args = parseArgs(process.argv.slice(2));
const MESSAGES = Number(args.get('messages') ?? 100_000);
const QUERIES = Number(args.get('queries') ?? 200);
const SECONDS = Number(args.get('seconds') ?? 5);
const INFLIGHT = Number(args.get('inflight') ?? 64);
/** Shares of reactions and edits in the mixed loop (the rest are sends); `--react=0 --edit=0` is sends only. */
const REACT = Number(args.get('react') ?? 0.2);
const EDIT = Number(args.get('edit') ?? 0.1);
const USERS = 40;

type Ack = { ok: boolean; data?: { id?: string; results?: unknown[] }; error?: { code: string } };

/** Deterministic pseudo-random numbers, so every run searches the same corpus. */
function rng(seed: number): () => number {
  return () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'bench-messages-'));
  const secret = randomBytes(32).toString('hex');
  const env = {
    RATE_LIMIT_EVENTS_PER_SEC: '1000000',
    RATE_LIMIT_BURST: '1000000',
    RATE_LIMIT_USER_EVENTS_PER_SEC: '1000000',
    RATE_LIMIT_USER_BURST: '1000000',
  };
  const server = await startServer({ name: 'service', script: join(repo, 'dist', 'main.js'), tmp, secret, env });
  const sockets: Socket[] = [];
  try {
    const random = rng(42);
    const vocabulary = Array.from({ length: 5000 }, (_, i) => `w${i.toString(36)}${'aeiou'[i % 5]}`);
    // Zipf-like: a few common words, a long tail.
    const word = () => vocabulary[Math.floor(vocabulary.length * random() ** 3)];
    const users = Array.from({ length: USERS }, (_, i) => ({ id: randomUUID(), username: `mbench_${i}` }));
    const now = Date.now();
    const db = new Database(server.dbPath);
    db.pragma('busy_timeout = 10000');
    const started = Date.now();
    db.transaction(() => {
      const insertUser = db.prepare(`insert into users (id, username, display_name, password_hash, created_at) values (?, ?, ?, 'x', ?)`);
      for (const u of users) insertUser.run(u.id, u.username, u.username, new Date(now).toISOString());
      const insertConversation = db.prepare(
        `insert into conversations (id, kind, user_a, user_b, last_seq, last_message_at, created_at) values (?, 'dm', ?, ?, ?, ?, ?)`,
      );
      const insertMessage = db.prepare(
        `insert into messages (id, conversation_id, seq, sender_id, sender_username, recipient_id, content, created_at) values (?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      // Every pair of neighbours talks: user 0 is in 2 of 40 pairs... so give user 0 a quarter of the traffic explicitly.
      const pairs = users.map((u, i) => [i === 0 ? users[1] : users[0], u] as const).slice(1);
      const perPair = Math.floor(MESSAGES / 4 / pairs.length);
      const others = users.slice(1).map((u, i) => [u, users[1 + ((i + 1) % (USERS - 1))]] as const);
      const perOther = Math.floor((MESSAGES - perPair * pairs.length) / others.length);
      for (const [list, count] of [
        [pairs, perPair],
        [others, perOther],
      ] as const) {
        for (const [x, y] of list) {
          const [a, b] = x.id < y.id ? [x, y] : [y, x];
          const id = `dm:${a.id}:${b.id}`;
          insertConversation.run(id, a.id, b.id, count, new Date(now).toISOString(), new Date(now).toISOString());
          for (let seq = 1; seq <= count; seq++) {
            const from = seq % 2 ? a : b;
            const to = from === a ? b : a;
            const content = Array.from({ length: 6 + Math.floor(random() * 10) }, word).join(' ');
            insertMessage.run(
              randomUUID(),
              id,
              seq,
              from.id,
              from.username,
              to.id,
              content,
              new Date(now - (count - seq) * 1000).toISOString(),
            );
          }
        }
      }
    })();
    const stored = (db.prepare('select count(*) as n from messages').get() as { n: number }).n;
    db.close();
    log(`seeded ${stored} messages in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const key = Buffer.from(secret, 'utf8');
    const connect = (userId: string) =>
      new Promise<Socket>((resolve, reject) => {
        const socket = io(server.url, {
          auth: { token: jwt.sign({}, key, { algorithm: 'HS256', subject: userId, expiresIn: 3600 }) },
          transports: ['websocket'],
          reconnection: false,
        });
        sockets.push(socket);
        socket.once('session', () => resolve(socket));
        socket.once('connect_error', reject);
      });
    const emit = (socket: Socket, event: string, payload: unknown) => socket.timeout(30_000).emitWithAck(event, payload) as Promise<Ack>;

    // Search latency, one query at a time: one or two words (common and rare ones).
    const searcher = await connect(users[0].id);
    const latencies: number[] = [];
    let hits = 0;
    // Untimed: the first search waits until the indexer has caught up with the seeded messages.
    const warm = Date.now();
    if (!(await emit(searcher, 'message:search', { query: word(), limit: 1 })).ok) throw new Error('warm-up search failed');
    log(`search index caught up in ${((Date.now() - warm) / 1000).toFixed(1)} s`);
    for (let i = 0; i < QUERIES; i++) {
      const query = i % 2 ? word() : `${word()} ${word()}`;
      const t = performance.now();
      const ack = await emit(searcher, 'message:search', { query, limit: 20 });
      latencies.push(performance.now() - t);
      if (!ack.ok) throw new Error(`search failed: ${JSON.stringify(ack.error)}`);
      hits += ack.data!.results!.length;
    }
    latencies.sort((x, y) => x - y);

    // Mixed closed loop: sends, reactions and edits on the sender's own recent messages.
    const clients = await Promise.all(users.slice(0, 20).map((u) => connect(u.id)));
    const recent: string[][] = clients.map(() => []);
    const emojis = ['👍', '🎉', ':eyes:', '❤️'];
    /** A closed loop of `seconds`, `react`/`edit` being the shares of those operations. */
    const loop = async (react: number, edit: number) => {
      const counts = { send: 0, react: 0, edit: 0, failed: 0 };
      const deadline = Date.now() + SECONDS * 1000;
      const worker = async (n: number) => {
        const c = n % clients.length;
        const socket = clients[c];
        while (Date.now() < deadline) {
          const roll = random();
          const own = recent[c];
          if (roll < react && own.length) {
            const ack = await emit(socket, 'message:react', {
              messageId: own[Math.floor(random() * own.length)],
              emoji: emojis[Math.floor(random() * 4)],
              on: random() < 0.6,
            });
            if (ack.ok) counts.react++;
            else counts.failed++;
          } else if (roll < react + edit && own.length) {
            const ack = await emit(socket, 'message:edit', {
              messageId: own[Math.floor(random() * own.length)],
              content: `edited ${word()} ${word()}`,
            });
            if (ack.ok) counts.edit++;
            else counts.failed++;
          } else {
            const to = users[(c + 1 + Math.floor(random() * 19)) % 20].id;
            const ack = await emit(socket, 'message:send', { to, content: `${word()} ${word()} ${word()}` });
            if (ack.ok) {
              counts.send++;
              own.push(ack.data!.id!);
              if (own.length > 50) own.shift();
            } else counts.failed++;
          }
        }
      };
      const loopStart = performance.now();
      await Promise.all(Array.from({ length: INFLIGHT }, (_, n) => worker(n)));
      const elapsed = (performance.now() - loopStart) / 1000;
      return {
        opsPerSec: Math.round((counts.send + counts.react + counts.edit) / elapsed),
        dmsPerSec: Math.round(counts.send / elapsed),
        counts,
      };
    };
    const sendsOnly = await loop(0, 0);
    const mixed = await loop(REACT, EDIT);
    const result = {
      storedMessages: stored,
      searchQueries: QUERIES,
      searchP50Ms: +percentile(latencies, 0.5).toFixed(2),
      searchP95Ms: +percentile(latencies, 0.95).toFixed(2),
      searchP99Ms: +percentile(latencies, 0.99).toFixed(2),
      searchMeanResults: +(hits / QUERIES).toFixed(1),
      sendsOnlyDmsPerSec: sendsOnly.dmsPerSec,
      mixedOpsPerSec: mixed.opsPerSec,
      mixedDmsPerSec: mixed.dmsPerSec,
      mixed: mixed.counts,
      shares: { react: REACT, edit: EDIT },
      inflight: INFLIGHT,
      seconds: SECONDS,
    };
    writeFileSync(join(repo, 'bench', 'results', 'messages.json'), `${JSON.stringify(result, null, 2)}\n`);
    log(JSON.stringify(result));
  } finally {
    for (const s of sockets) s.disconnect();
    await stopServer(server);
    if (!args.has('keep-tmp')) rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  log(String((error as Error).stack ?? error));
  process.exit(1);
});

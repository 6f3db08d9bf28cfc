/**
 * Modal opens/s with many connected users of whom a few watch (issue 18): version 0.2 sends
 * `modal:opened`/`modal:closed` to the watchers and the viewer's own sockets, 0.1 (`--before=<dir>`,
 * a build of the previous version) to every connected socket. Each configuration connects `users`
 * sockets (one per user), lets `watchers` of them `modal:watch` the prefix `bench-`, then 10
 * opener sockets open and close modals in a closed loop for `seconds`; the figure is acked opens/s
 * (each followed by its close) and the server frames written per open. Median of `--rounds` (3).
 *
 *   npm run build && npx tsc -p bench/tsconfig.json && node bench/dist/modals.js --before=/work/wt/before14
 *
 * Servers run pinned to core 0 (as in run.ts), this process (the load) on whatever core is free.
 * Results go to bench/results/modals-latest.md.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import jwt from 'jsonwebtoken';
import { httpJson, log, parseArgs, pinned, repo, sleep, startServer, stopServer, type RunningServer } from './harness';
import { connect, type WireSocket } from './wire-client';

const args = parseArgs(process.argv.slice(2));
const rounds = Number(args.get('rounds') ?? 3);
const seconds = Number(args.get('seconds') ?? 5);
const OPENERS = 10;
const CONFIGS = [
  { users: 2000, watchers: 20 },
  { users: 500, watchers: 20 },
  { users: 2000, watchers: 200 },
];

interface Result {
  opensPerSec: number;
  framesPerOpen: number;
  cpuMsPerOpen: number;
  watcherEvents: number;
}

async function stats(server: RunningServer): Promise<{ cpu: number; frames: number }> {
  const { body } = await httpJson<{ cpu: { user: number; system: number }; frames: number }>('GET', `${server.probeUrl}/stats`);
  return { cpu: body.cpu.user + body.cpu.system, frames: body.frames };
}

function insertUsers(server: RunningServer, count: number): { id: string }[] {
  const now = new Date().toISOString();
  const rows = Array.from({ length: count }, (_, i) => ({ id: randomUUID(), username: `mb_${i}` }));
  const db = new Database(server.dbPath);
  db.pragma('busy_timeout = 10000');
  const insert = db.prepare('insert into users (id, username, display_name, password_hash, created_at) values (?, ?, ?, ?, ?)');
  db.transaction(() => rows.forEach((r) => insert.run(r.id, r.username, r.username, 'bench$unused', now)))();
  db.close();
  return rows;
}

async function pool(count: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await fn(next++);
    }),
  );
}

async function measure(server: RunningServer, tokens: string[], users: number, watchers: number): Promise<Result> {
  const sockets = new Array<WireSocket>(users);
  await pool(users, 50, async (i) => {
    sockets[i] = await connect({ url: server.url, auth: { token: tokens[i] } });
  });
  let watcherEvents = 0;
  for (let i = 0; i < watchers; i++) {
    const s = sockets[users - 1 - i];
    // 0.1 has no modal:watch (NOT_FOUND); there everybody receives the events anyway.
    await s.emitWithAck('modal:watch', { prefixes: ['bench-'] });
    s.onRaw = (frame) => {
      if (frame.startsWith('42["modal:')) watcherEvents++;
      return true;
    };
  }
  for (const s of sockets) s.onRaw ??= () => true;
  await sleep(300);
  const before = await stats(server);
  const until = Date.now() + seconds * 1000;
  let opens = 0;
  const run = randomBytes(3).toString('hex');
  await Promise.all(
    Array.from({ length: OPENERS }, async (_, o) => {
      const s = sockets[o];
      for (let n = 0; Date.now() < until; n++) {
        const modalId = `bench-${run}-${o}-${n}`;
        const ack = await s.emitWithAck('modal:open', { modalId });
        if (!ack.ok) throw new Error(`modal:open: ${JSON.stringify(ack.error)}`);
        await s.emitWithAck('modal:close', { modalId });
        opens++;
      }
    }),
  );
  const elapsed = seconds + (Date.now() - until) / 1000;
  await sleep(200);
  const after = await stats(server);
  for (const s of sockets) s.terminate();
  await sleep(1500);
  return {
    opensPerSec: Math.round(opens / elapsed),
    framesPerOpen: Math.round((after.frames - before.frames) / opens),
    cpuMsPerOpen: Number(((after.cpu - before.cpu) / 1000 / opens).toFixed(3)),
    watcherEvents,
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'bench-modals-'));
  const secret = randomBytes(32).toString('hex');
  const env = {
    PRESENCE_GRACE_MS: '1000',
    RATE_LIMIT_EVENTS_PER_SEC: '100000',
    RATE_LIMIT_BURST: '100000',
    RATE_LIMIT_USER_EVENTS_PER_SEC: '100000',
    RATE_LIMIT_USER_BURST: '100000',
  };
  const targets: [string, string][] = [['service', join(repo, 'dist', 'main.js')]];
  if (args.get('before')) targets.push(['before', join(resolve(args.get('before')!), 'dist', 'main.js')]);
  const table: string[] = [];
  try {
    for (const [name, script] of targets) {
      const server = await startServer({ name, script, tmp, secret, env });
      const key = Buffer.from(secret, 'utf8');
      const tokens = insertUsers(server, Math.max(...CONFIGS.map((c) => c.users))).map((u) =>
        jwt.sign({}, key, { algorithm: 'HS256', subject: u.id, expiresIn: 3600 }),
      );
      // A discarded warm-up round, so the first configuration is not measured on a cold JIT.
      await measure(server, tokens, CONFIGS[1].users, CONFIGS[1].watchers);
      for (const { users, watchers } of CONFIGS) {
        const results: Result[] = [];
        for (let r = 0; r < rounds; r++) {
          const result = await measure(server, tokens, users, watchers);
          log(`${name} users=${users} watchers=${watchers} round ${r + 1}: ${JSON.stringify(result)}`);
          results.push(result);
        }
        const m = (k: keyof Result) => median(results.map((x) => x[k]));
        // The probe counts frames of the `ws` copy under this checkout: another checkout's server shows 0.
        const frames = m('framesPerOpen') || 'n/a';
        table.push(`| ${name} | ${users} | ${watchers} | ${m('opensPerSec')} | ${frames} | ${m('cpuMsPerOpen')} |`);
      }
      await stopServer(server);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const out = [
    `modal opens/s (open + close acked, ${OPENERS} openers, closed loop, ${seconds} s), median of ${rounds} rounds; servers ${pinned ? 'pinned to core 0' : 'NOT pinned'}`,
    '',
    '| server | connected users | watchers | opens/s | server frames per open | server CPU ms per open |',
    '|---|---|---|---|---|---|',
    ...table,
  ].join('\n');
  writeFileSync(join(repo, 'bench', 'results', 'modals-latest.md'), `${out}\n`);
  process.stdout.write(`${out}\n`);
}

main().catch((error: unknown) => {
  log(String((error as Error).stack ?? error));
  process.exit(1);
});

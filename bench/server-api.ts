/**
 * `npm run bench` (after run.ts): the server API and webhooks on the built service.
 *
 * - publishes/s: POST /server/v1/publish, each to one online user (a socket.io-client socket in
 *   this process), `concurrency` requests in flight; the clock stops when every `app:event`
 *   arrived.
 * - webhook events/s: POST /server/v1/messages (system user → a user), each recording one
 *   `message.created` in the outbox; the clock stops when the local receiver got them all (so it
 *   is end to end: store + outbox + sign + POST), plus the lag the service's /metrics reports.
 *
 * The service is pinned to core 0 (like run.ts); this process is the load and the receiver.
 * Medians of --rounds (3; smoke 1). Results in bench/results/server-api[-smoke].{md,json}.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { cores, gitCommit, httpJson, log, parseArgs, pinned, repo, startServer, stopServer } from './harness';

const args = parseArgs(process.argv.slice(2));
const smoke = args.has('smoke');
const rounds = Number(args.get('rounds') ?? (smoke ? 1 : 3));
const params = smoke
  ? { users: 20, publishes: 200, messages: 100, concurrency: 16 }
  : { users: 200, publishes: 5000, messages: 2000, concurrency: 32 };
const KEY = randomBytes(24).toString('base64url');
const SECRET = randomBytes(24).toString('base64url');

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];

/** Runs `total` calls of `call(i)` with `concurrency` in flight. */
async function pool(total: number, concurrency: number, call: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await call(next++);
    }),
  );
}

async function main(): Promise<void> {
  let received = 0;
  let onReceived: (() => void) | undefined;
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received += 1;
      res.writeHead(204).end();
      onReceived?.();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const tmp = mkdtempSync(join(tmpdir(), 'realtime-bench-server-api-'));
  const server = await startServer({
    name: 'service',
    script: join(repo, 'dist', 'main.js'),
    tmp,
    secret: randomBytes(32).toString('base64url'),
    env: { SERVER_API_KEYS: KEY, WEBHOOK_URLS: hookUrl, WEBHOOK_SECRET: SECRET, WEBHOOK_EVENTS: 'message.created', WEBHOOK_POLL_MS: '200' },
  });
  const auth = { authorization: `Bearer ${KEY}` };
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await httpJson<T>(method, `${server.url}/server/v1${path}`, body, auth);
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const sockets: Socket[] = [];
  const results: { publishesPerSec: number[]; webhookEventsPerSec: number[]; webhookLagP50Ms: number[] } = {
    publishesPerSec: [],
    webhookEventsPerSec: [],
    webhookLagP50Ms: [],
  };
  try {
    const userIds: string[] = [];
    let arrived = 0;
    let onArrived: (() => void) | undefined;
    for (let i = 0; i < params.users; i++) {
      const user = await call<{ id: string }>('POST', '/users', { username: `bench_${i}_${randomBytes(3).toString('hex')}` });
      const { accessToken } = await call<{ accessToken: string }>('POST', '/tokens', { userId: user.id });
      const socket = io(server.url, { auth: { token: accessToken }, transports: ['websocket'], reconnection: false, forceNew: true });
      await new Promise<void>((resolve, reject) => {
        socket.once('session', () => resolve());
        socket.once('connect_error', reject);
      });
      socket.on('app:event', () => {
        arrived += 1;
        onArrived?.();
      });
      sockets.push(socket);
      userIds.push(user.id);
    }
    for (let round = 1; round <= rounds; round++) {
      arrived = 0;
      const all = new Promise<void>((resolve) => (onArrived = () => arrived >= params.publishes && resolve()));
      const started = performance.now();
      await pool(params.publishes, params.concurrency, async (i) => {
        await call('POST', '/publish', { users: [userIds[i % userIds.length]], event: 'bench', data: { i } });
      });
      await all;
      results.publishesPerSec.push(Math.round(params.publishes / ((performance.now() - started) / 1000)));

      received = 0;
      const delivered = new Promise<void>((resolve) => (onReceived = () => received >= params.messages && resolve()));
      const sentAt = performance.now();
      await pool(params.messages, params.concurrency, async (i) => {
        await call('POST', '/messages', { to: userIds[i % userIds.length], content: `bench ${round} ${i}` });
      });
      await delivered;
      results.webhookEventsPerSec.push(Math.round(params.messages / ((performance.now() - sentAt) / 1000)));
      const metrics = await httpJson<string>('GET', `${server.url}/metrics`);
      const sum = Number(/realtime_webhook_delivery_lag_seconds_sum\{type="message.created"\} ([\d.e+-]+)/.exec(metrics.body)?.[1] ?? NaN);
      const count = Number(/realtime_webhook_delivery_lag_seconds_count\{type="message.created"\} (\d+)/.exec(metrics.body)?.[1] ?? NaN);
      results.webhookLagP50Ms.push(Math.round((sum / count) * 1000));
      log(`  round ${round}: ${JSON.stringify(Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.at(-1)])))}`);
    }
  } finally {
    for (const socket of sockets) socket.disconnect();
    await stopServer(server);
    receiver.close();
    rmSync(tmp, { recursive: true, force: true });
  }
  const summary = {
    publishesPerSec: median(results.publishesPerSec),
    webhookEventsPerSec: median(results.webhookEventsPerSec),
    webhookMeanLagMs: median(results.webhookLagP50Ms),
  };
  const meta = {
    date: new Date().toISOString(),
    git: gitCommit(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores,
    pinned,
    rounds,
    params,
  };
  const md = [
    `# Benchmark: server API and webhooks (${smoke ? 'smoke' : 'full'})`,
    '',
    `${meta.date} · git ${meta.git} · Node ${meta.node} · ${meta.cpu} × ${cores} · ${pinned ? 'service pinned to core 0' : 'not pinned'} · medians of ${rounds} round(s)`,
    '',
    '| metric | service |',
    '|---|---:|',
    `| publishes/s to online users (POST /server/v1/publish, one user each, ${params.concurrency} in flight) | ${summary.publishesPerSec} |`,
    `| webhook events/s delivered to a local receiver (message posted → webhook received) | ${summary.webhookEventsPerSec} |`,
    `| mean webhook delivery lag, ms (record → 2xx, from /metrics; cumulative over the rounds) | ${summary.webhookMeanLagMs} |`,
    '',
    `Parameters: \`${JSON.stringify(params)}\`.`,
  ];
  const out = smoke ? 'server-api-smoke' : 'server-api';
  mkdirSync(join(repo, 'bench', 'results'), { recursive: true });
  writeFileSync(join(repo, 'bench', 'results', `${out}.md`), `${md.join('\n')}\n`);
  writeFileSync(join(repo, 'bench', 'results', `${out}.json`), `${JSON.stringify({ meta, summary, raw: results }, null, 2)}\n`);
  process.stdout.write(`${md.join('\n')}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(`server-api bench failed: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  },
);

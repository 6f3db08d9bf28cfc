#!/usr/bin/env node
// Starts N instances of the built server (default 3) on consecutive ports against one Redis and one
// PostgreSQL, with one shared JWT_SECRET, prefixes their logs, and stops them all on Ctrl-C.
//   npm run start:cluster            # 3 instances on PORT, PORT+1, PORT+2 (PORT defaults to 3000)
//   npm run start:cluster -- 5       # 5 instances
// DATABASE_URL (default postgres://postgres@127.0.0.1:5432/realtime) and REDIS_URL (default
// redis://127.0.0.1:6379) come from the environment. Put a load balancer in front for one URL.
'use strict';
const { spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const main = join(__dirname, '..', 'dist', 'main.js');
if (!existsSync(main)) {
  console.error('dist/main.js is missing: run "npm run build" first (npm run start:cluster does it)');
  process.exit(1);
}

const count = Number(process.argv[2] ?? process.env.INSTANCES ?? 3);
if (!Number.isInteger(count) || count < 1 || count > 32) {
  console.error(`instance count must be 1-32, got ${process.argv[2]}`);
  process.exit(1);
}
const basePort = Number(process.env.PORT ?? 3000);
const shared = {
  DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/realtime',
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  // Every instance must verify every other's tokens: one secret for all, generated once if unset.
  JWT_SECRET: process.env.JWT_SECRET ?? randomBytes(32).toString('hex'),
};
if (!process.env.JWT_SECRET) console.log('[cluster] JWT_SECRET not set: generated one for this cluster run (tokens die with it)');
console.log(
  `[cluster] ${count} instance(s) on ports ${basePort}-${basePort + count - 1}; database ${redact(shared.DATABASE_URL)}; redis ${redact(shared.REDIS_URL)}`,
);

const children = [];
let stopping = false;

ensureDatabase(shared.DATABASE_URL)
  .then(startAll)
  .catch((error) => {
    console.error(`[cluster] ${error.message}`);
    process.exit(1);
  });

/** Creates the PostgreSQL database when it does not exist yet (the instances migrate it). */
async function ensureDatabase(url) {
  if (!/^postgres(ql)?:/.test(url)) return;
  const { Client } = require('pg');
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (!rowCount) {
      await client.query(`create database "${name.replace(/"/g, '""')}"`);
      console.log(`[cluster] created database ${name}`);
    }
  } finally {
    await client.end();
  }
}

function startAll() {
  for (let i = 0; i < count; i += 1) {
    const port = basePort + i;
    const name = `[${port}]`.padEnd(8);
    const child = spawn(process.execPath, [main], {
      env: { ...process.env, ...shared, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    prefixLines(child.stdout, name, process.stdout);
    prefixLines(child.stderr, name, process.stderr);
    child.on('exit', (code, signal) => {
      console.log(`${name}exited (${signal ?? code})`);
      if (!stopping) stop('SIGTERM', 1); // one instance failing (bad config, port taken) stops the demo
      if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(process.exitCode ?? 0);
    });
  }
}

function stop(signal, exitCode = 0) {
  if (stopping) return;
  stopping = true;
  process.exitCode = exitCode;
  console.log(`[cluster] stopping every instance (${signal})`);
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  // Each instance drains within its SHUTDOWN_TIMEOUT_MS; after that, do not wait for a stuck one.
  setTimeout(
    () => {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    Number(process.env.SHUTDOWN_TIMEOUT_MS ?? 10000) + 2000,
  ).unref();
}

process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));

function prefixLines(stream, prefix, out) {
  let rest = '';
  stream.on('data', (chunk) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop();
    for (const line of lines) out.write(`${prefix}${line}\n`);
  });
  stream.on('end', () => rest && out.write(`${prefix}${rest}\n`));
}

function redact(url) {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './support/fault-servers';
import { startServerProcess, waitForHttp, withTimeout } from './support/processes';

describe('the server process (node dist/main.js)', () => {
  let cwd: string;
  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'realtime-proc-'));
  });
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  it('refuses to start with bad configuration and names every bad variable', async () => {
    const server = startServerProcess({ PORT: 'http', DATABASE_URL: 'mysql://db', PRESENCE_GRACE_MS: '-5' }, cwd);
    const { code } = await withTimeout(server.exited, 15000, 'exit');
    expect(code).toBe(1);
    for (const name of ['PORT', 'DATABASE_URL', 'PRESENCE_GRACE_MS']) expect(server.output()).toContain(name);
    expect(server.output()).not.toMatch(/at .*\(.*\.js:\d+/); // a message, not a stack trace
  });

  it('refuses to start in production without JWT_SECRET', async () => {
    const server = startServerProcess({ NODE_ENV: 'production', CORS_ORIGINS: '*', PORT: '0' }, cwd);
    const { code } = await withTimeout(server.exited, 15000, 'exit');
    expect(code).toBe(1);
    expect(server.output()).toContain('JWT_SECRET is required');
  });

  it('starts on the embedded SQLite default with a loud dev-secret warning, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const server = startServerProcess({ PORT: String(port) }, cwd);
    try {
      await waitForHttp(`http://127.0.0.1:${port}/health`);
      expect(existsSync(join(cwd, 'data', 'realtime.db'))).toBe(true);
      expect(server.output()).toContain('JWT_SECRET is not set');
      server.child.kill('SIGTERM');
      const { code } = await withTimeout(server.exited, 10000, 'exit after SIGTERM');
      expect(code).toBe(0);
    } finally {
      server.child.kill('SIGKILL');
    }
  });
});

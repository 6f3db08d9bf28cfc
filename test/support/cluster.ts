import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_JWT_SECRET } from './app';
import { createTestDatabase, postgresAvailable, type TestDatabase } from './databases';
import { startServerProcess, waitForHttp, withTimeout, type ServerProcess } from './processes';
import { redisAvailable, TEST_REDIS_URL, testRedisPrefix } from './redis';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface Instance {
  url: string;
  process: ServerProcess;
}

/**
 * Several real server processes (`node dist/main.js`) of one deployment: one throwaway PostgreSQL
 * database, one Redis key prefix. `stop()` kills whatever is still running and removes both.
 */
export class Cluster {
  readonly instances: Instance[] = [];
  private readonly cwd = mkdtempSync(join(tmpdir(), 'realtime-cluster-'));

  private constructor(
    private readonly database: TestDatabase,
    private readonly redis: ReturnType<typeof testRedisPrefix>,
    private readonly env: Record<string, string>,
  ) {}

  /** Undefined when Redis or PostgreSQL is unreachable outside CI (under CI that throws). */
  static async start(size: number, env: Record<string, string> = {}): Promise<Cluster | undefined> {
    if (!(await redisAvailable()) || !(await postgresAvailable())) return undefined;
    const cluster = new Cluster(await createTestDatabase('postgres'), testRedisPrefix(), env);
    try {
      // The first one migrates the fresh database; the others start in parallel.
      await cluster.add();
      await Promise.all(Array.from({ length: size - 1 }, () => cluster.add()));
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  private async add(): Promise<Instance> {
    const port = await freePort();
    const process = startServerProcess(
      {
        NODE_ENV: 'test',
        PORT: String(port),
        JWT_SECRET: TEST_JWT_SECRET,
        DATABASE_URL: this.database.url,
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: this.redis.prefix,
        LOG_LEVEL: 'warn',
        RATE_LIMIT_EVENTS_PER_SEC: '10000',
        RATE_LIMIT_BURST: '10000',
        REGISTER_MAX_PER_IP: '1000000',
        RATE_LIMIT_USER_EVENTS_PER_SEC: '10000',
        RATE_LIMIT_USER_BURST: '10000',
        ...this.env,
      },
      this.cwd,
    );
    const instance = { url: `http://127.0.0.1:${port}`, process };
    this.instances.push(instance);
    try {
      await waitForHttp(`${instance.url}/health`, 20000);
    } catch (error) {
      throw new Error(`${String(error)}\n${process.output()}`, { cause: error });
    }
    return instance;
  }

  /** Sends `signal` and waits for the process to exit. */
  async signal(
    instance: Instance,
    signal: NodeJS.Signals,
    timeoutMs = 15000,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    instance.process.child.kill(signal);
    return withTimeout(instance.process.exited, timeoutMs, `exit after ${signal}`);
  }

  async stop(): Promise<void> {
    for (const { process } of this.instances)
      if (process.child.exitCode === null && process.child.signalCode === null) process.child.kill('SIGKILL');
    await Promise.all(this.instances.map((i) => withTimeout(i.process.exited, 5000, 'exit').catch(() => undefined)));
    await this.database.drop().catch(() => undefined);
    await this.redis.cleanup().catch(() => undefined);
    rmSync(this.cwd, { recursive: true, force: true });
  }
}

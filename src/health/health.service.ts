import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckService, HealthIndicatorService, type HealthCheckResult, type HealthIndicatorFunction } from '@nestjs/terminus';
import type { Db } from '../storage/database';
import { pingDatabase } from '../storage/database';
import { InjectDb } from '../storage/database.module';
import { InjectRedis, type RedisConnections } from '../redis/redis.providers';
import { LocalSockets } from '../realtime/connections/local-sockets';
import { TimeoutError, withTimeout } from '../common/with-timeout';

export type CheckStatus = 'up' | 'down';
export interface HealthReport {
  status: 'ok' | 'error';
  checks: Record<string, { status: CheckStatus; error?: string }>;
  /** Present (true) once a SIGTERM hand-over began: not ready, whatever the checks say. */
  draining?: true;
}

export type HealthCheck = () => Promise<void>;

const CHECK_TIMEOUT_MS = 2000;

/**
 * Dependency checks (the database, and Redis when configured) run through @nestjs/terminus.
 * The report keeps the documented `{ status, checks }` shape (README, REST) rather
 * than terminus's `info`/`error`/`details` body.
 */
@Injectable()
export class HealthService {
  private readonly checks = new Map<string, HealthCheck>();
  private drainRequested = false;

  constructor(
    @InjectDb() db: Db,
    private readonly local: LocalSockets,
    @InjectRedis() redis: RedisConnections | null,
    private readonly terminus: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
  ) {
    this.register('database', () => pingDatabase(db));
    if (redis) this.register('redis', async () => void (await redis.client.ping()));
  }

  private register(name: string, check: HealthCheck): void {
    this.checks.set(name, check);
  }

  /** SIGTERM arrived (main.ts): readiness fails from now on, before any connection is closed. */
  beginDrain(): void {
    this.drainRequested = true;
  }

  get draining(): boolean {
    return this.drainRequested || this.local.draining;
  }

  /** Readiness: the dependency checks, failed outright while draining. */
  async ready(): Promise<HealthReport> {
    const report = await this.check();
    return this.draining ? { ...report, status: 'error', draining: true } : report;
  }

  /** The dependency checks (also behind `realtime_dependency_up`). */
  async check(): Promise<HealthReport> {
    const indicators: HealthIndicatorFunction[] = [...this.checks].map(([name, check]) => async () => {
      const indicator = this.indicators.check(name);
      try {
        await withTimeout(check(), CHECK_TIMEOUT_MS);
        return indicator.up();
      } catch (error) {
        // The kind of failure only; driver messages can carry hostnames and users.
        return indicator.down({ error: error instanceof TimeoutError ? 'timed out' : 'unreachable' });
      }
    });
    let result: HealthCheckResult;
    try {
      result = await this.terminus.check(indicators);
    } catch (error) {
      // terminus answers a failed check by throwing 503 with the result as its body.
      if (!(error instanceof ServiceUnavailableException)) throw error;
      result = error.getResponse() as HealthCheckResult;
    }
    const checks: HealthReport['checks'] = {};
    for (const [name, detail] of Object.entries(result.details)) {
      const { status, error } = detail as { status: string; error?: string };
      checks[name] = status === 'up' ? { status: 'up' } : { status: 'down', error: error ?? 'unreachable' };
    }
    return { status: result.status === 'ok' ? 'ok' : 'error', checks };
  }
}

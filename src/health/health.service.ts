import { Injectable } from '@nestjs/common';
import type { Db } from '../storage/database';
import { pingDatabase } from '../storage/database';
import { InjectDb } from '../storage/database.module';

export type CheckStatus = 'up' | 'down';
export interface HealthReport {
  status: 'ok' | 'error';
  checks: Record<string, { status: CheckStatus; error?: string }>;
}

export type HealthCheck = () => Promise<void>;

const CHECK_TIMEOUT_MS = 2000;

function withTimeout(check: HealthCheck): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out')), CHECK_TIMEOUT_MS);
    check().then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

/** Dependency checks; other capabilities (Redis) add theirs with `register`. */
@Injectable()
export class HealthService {
  private readonly checks = new Map<string, HealthCheck>();

  constructor(@InjectDb() db: Db) {
    this.register('database', () => pingDatabase(db));
  }

  register(name: string, check: HealthCheck): void {
    this.checks.set(name, check);
  }

  async check(): Promise<HealthReport> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        try {
          await withTimeout(check);
          return [name, { status: 'up' as const }] as const;
        } catch (error) {
          // The kind of failure only; driver messages can carry hostnames and users.
          const reason = error instanceof Error && error.message === 'timed out' ? 'timed out' : 'unreachable';
          return [name, { status: 'down' as const, error: reason }] as const;
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    return { status: entries.every(([, c]) => c.status === 'up') ? 'ok' : 'error', checks };
  }
}

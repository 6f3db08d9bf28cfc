import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ErrorCode } from '../contracts';
import { RealtimeService } from '../common/ws/realtime.service';
import type { DispatchObserver } from '../common/ws/realtime-io.adapter';
import { HealthService } from '../health/health.service';
import { InjectConnectionStore, type ConnectionStore } from '../sessions/connection-store';

/**
 * Prometheus metrics on a registry of this app's own (tests start several apps in one process).
 * Gauges that need a look-up (online users, dependencies) are computed at scrape time only.
 */
@Injectable()
export class MetricsService implements DispatchObserver {
  readonly registry = new Registry();
  private readonly events: Counter<'event' | 'outcome'>;
  private readonly ackSeconds: Histogram<'event'>;
  private readonly errors: Counter<'code' | 'transport'>;

  constructor(realtime: RealtimeService, health: HealthService, @InjectConnectionStore() connections: ConnectionStore) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.events = new Counter({
      name: 'realtime_events_total',
      help: 'Client events answered, by event name and outcome (ok or error code)',
      labelNames: ['event', 'outcome'],
      registers,
    });
    this.ackSeconds = new Histogram({
      name: 'realtime_ack_duration_seconds',
      help: 'Time from receiving a client event to answering it',
      labelNames: ['event'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.errors = new Counter({
      name: 'realtime_errors_total',
      help: 'Errors answered to clients, by code and transport',
      labelNames: ['code', 'transport'],
      registers,
    });
    new Gauge({
      name: 'realtime_connections',
      help: 'Sockets connected to this instance',
      registers,
      collect() {
        this.set(realtime.localConnectionCount());
      },
    });
    new Gauge({
      name: 'realtime_online_users',
      help: 'Users with at least one socket, on every instance',
      registers,
      async collect() {
        this.set((await connections.onlineUserIds()).length);
      },
    });
    new Gauge({
      name: 'realtime_dependency_up',
      help: '1 when the dependency answers its health check',
      labelNames: ['dependency'],
      registers,
      async collect() {
        const report = await health.check();
        for (const [name, check] of Object.entries(report.checks)) this.set({ dependency: name }, check.status === 'up' ? 1 : 0);
      },
    });
  }

  event(name: string, seconds: number, code?: ErrorCode): void {
    this.events.inc({ event: name, outcome: code ?? 'ok' });
    this.ackSeconds.observe({ event: name }, seconds);
    if (code) this.errors.inc({ code, transport: 'ws' });
  }

  httpError(code: ErrorCode): void {
    this.errors.inc({ code, transport: 'http' });
  }
}

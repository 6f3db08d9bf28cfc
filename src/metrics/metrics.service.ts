import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ErrorCode } from '../contracts';
import { RealtimeService } from '../realtime/realtime.service';
import type { DispatchObserver } from '../realtime/io/event-dispatcher';
import { HealthService } from '../health/health.service';
import { InjectConnectionStore, type ConnectionStore } from '../realtime/connections/connection-store';
import { WebhookMetrics } from '../webhooks/webhook-metrics';
import { withTimeout } from '../common/with-timeout';

/** How long a scrape waits for a dependency-backed figure before it reports the last good one. */
const LOOKUP_TIMEOUT_MS = 1000;

/**
 * Prometheus metrics on a registry of this app's own (tests start several apps in one process).
 * Gauges that need a look-up (online users, dependencies) are computed at scrape time only; a
 * look-up that fails never fails the scrape (the figure keeps its last good value and
 * `realtime_dependency_up` says which dependency is down).
 */
@Injectable()
export class MetricsService implements DispatchObserver {
  readonly registry = new Registry();
  private readonly events: Counter<'event' | 'outcome'>;
  private readonly ackSeconds: Histogram<'event'>;
  private readonly errors: Counter<'code' | 'transport'>;
  private readonly handshakesRefused: Counter<'code'>;
  private readonly slowConsumers: Counter;

  constructor(
    realtime: RealtimeService,
    health: HealthService,
    @InjectConnectionStore() connections: ConnectionStore,
    webhooks: WebhookMetrics,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    for (const metric of webhooks.all()) this.registry.registerMetric(metric);
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
    this.handshakesRefused = new Counter({
      name: 'realtime_handshakes_refused_total',
      help: 'Handshakes refused, by code (UNAUTHORIZED, TOKEN_EXPIRED, FORBIDDEN: connection cap, INTERNAL, TIMEOUT: no handshake in time)',
      labelNames: ['code'],
      registers,
    });
    this.slowConsumers = new Counter({
      name: 'realtime_slow_consumer_disconnects_total',
      help: 'Connections cut because their unsent data passed MAX_SOCKET_BUFFER_BYTES',
      registers,
    });
    new Gauge({
      name: 'realtime_online_users',
      help: 'Users with at least one socket, on every instance (last good value while the registry is unreachable)',
      registers,
      async collect() {
        const count = await withTimeout(connections.onlineUserCount(), LOOKUP_TIMEOUT_MS).catch(() => undefined);
        if (count !== undefined) this.set(count);
      },
    });
    new Gauge({
      name: 'realtime_dependency_up',
      help: '1 when the dependency answers its health check',
      labelNames: ['dependency'],
      registers,
      async collect() {
        // Each check is time-limited and reported down on failure; anything else keeps the last values.
        const report = await health.check().catch(() => undefined);
        if (!report) return;
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

  handshakeRefused(code: ErrorCode | 'TIMEOUT'): void {
    this.handshakesRefused.inc({ code });
  }

  slowConsumerDisconnected(): void {
    this.slowConsumers.inc();
  }
}

import { Injectable } from '@nestjs/common';
import { Counter, Histogram, type Metric } from 'prom-client';

/** Delivery figures; the metrics module registers them on the app's registry. */
@Injectable()
export class WebhookMetrics {
  readonly attempts = new Counter({
    name: 'realtime_webhook_attempts_total',
    help: 'Webhook delivery attempts, by event type and outcome (ok, failed)',
    labelNames: ['type', 'outcome'],
    registers: [],
  });
  readonly failures = new Counter({
    name: 'realtime_webhook_failures_total',
    help: 'Failed webhook attempts, by reason (status code, timeout, network)',
    labelNames: ['reason'],
    registers: [],
  });
  readonly dropped = new Counter({
    name: 'realtime_webhook_dropped_total',
    help: 'Webhook events given up on after WEBHOOK_RETRY_HOURS',
    labelNames: ['type'],
    registers: [],
  });
  readonly lag = new Histogram({
    name: 'realtime_webhook_delivery_lag_seconds',
    help: 'Time from recording a webhook event to its successful delivery',
    labelNames: ['type'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300, 3600],
    registers: [],
  });

  all(): Metric[] {
    return [this.attempts, this.failures, this.dropped, this.lag];
  }
}

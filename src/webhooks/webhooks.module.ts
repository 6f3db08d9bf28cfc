import { Global, Module } from '@nestjs/common';
import { WebhookDispatcher } from './webhook-dispatcher.service';
import { WebhookMetrics } from './webhook-metrics';
import { WebhookOutbox } from './webhook-outbox';

/** Outgoing webhooks: the outbox every capability records into, and its dispatcher. */
@Global()
@Module({
  providers: [WebhookOutbox, WebhookMetrics, WebhookDispatcher],
  exports: [WebhookOutbox, WebhookMetrics],
})
export class WebhooksModule {}

import { Global, Module } from '@nestjs/common';
import { DISPATCH_OBSERVER } from '../realtime/io/event-dispatcher';
import { MetricsController } from './metrics.controller';
import { MetricsServer } from './metrics-server';
import { MetricsService } from './metrics.service';

@Global()
@Module({
  controllers: [MetricsController],
  // The realtime floor reports every event and refused handshake through this interface.
  providers: [MetricsService, MetricsServer, { provide: DISPATCH_OBSERVER, useExisting: MetricsService }],
  exports: [MetricsService, MetricsServer, DISPATCH_OBSERVER],
})
export class MetricsModule {}

import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { DependencyUnavailableError, listenError } from './common/errors/startup-error';
import { ConfigValidationError } from './config/app-config';
import { APP_CONFIG, type AppConfig } from './config/config.module';
import { HealthService } from './health/health.service';

async function bootstrap(): Promise<void> {
  const app = await createApp();
  const config = app.get<AppConfig>(APP_CONFIG);
  const logger = new Logger('Main');

  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    // Readiness fails first; the load balancer stops sending new clients during DRAIN_DELAY_MS,
    // then the hand-over (app.close) moves the connected ones.
    app.get(HealthService).beginDrain();
    logger.log(
      `${signal}: draining (readiness answers 503${config.ops.drainDelayMs ? `, hand-over in ${config.ops.drainDelayMs} ms` : ''})`,
    );
    // A stuck dependency must not keep a terminating instance around forever.
    setTimeout(() => process.exit(1), config.ops.drainDelayMs + config.shutdownTimeoutMs).unref();
    setTimeout(() => {
      app.close().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(`shutdown after ${signal} failed`, error);
          process.exit(1);
        },
      );
    }, config.ops.drainDelayMs);
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);

  try {
    await (config.host ? app.listen(config.port, config.host) : app.listen(config.port));
  } catch (error) {
    await app.close().catch(() => undefined);
    throw listenError('PORT', config.host, config.port, error);
  }
  logger.log(
    `listening on ${await app.getUrl()} (database: ${config.database.kind}, redis: ${config.redisUrl ? 'on' : 'off'}, logs: ${config.ops.logFormat})`,
  );
}

bootstrap().catch((error: unknown) => {
  if (error instanceof ConfigValidationError) {
    console.error(error.message);
  } else if (error instanceof DependencyUnavailableError) {
    // One line an operator can act on; the stack would only bury it.
    console.error(`failed to start: ${error.message}`);
  } else {
    console.error('failed to start', error);
  }
  process.exit(1);
});

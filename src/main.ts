import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { ConfigValidationError } from './config/app-config';
import { APP_CONFIG, type AppConfig } from './config/config.module';

async function bootstrap(): Promise<void> {
  const app = await createApp();
  const config = app.get<AppConfig>(APP_CONFIG);

  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    // A stuck dependency must not keep a terminating instance around forever.
    setTimeout(() => process.exit(1), config.shutdownTimeoutMs).unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`shutdown after ${signal} failed`, error);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);

  await app.listen(config.port);
  new Logger('Main').log(
    `listening on ${await app.getUrl()} (database: ${config.database.kind}, redis: ${config.redisUrl ? 'on' : 'off'})`,
  );
}

bootstrap().catch((error: unknown) => {
  if (error instanceof ConfigValidationError) {
    console.error(error.message);
  } else {
    console.error('failed to start', error);
  }
  process.exit(1);
});

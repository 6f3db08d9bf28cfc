import 'reflect-metadata';
import { dirname, join } from 'node:path';
import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import helmet from 'helmet';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { Logger } from 'nestjs-pino';
import { PINO, quietNestLogger, requestLogger } from './common/logging/logger.module';
import { HttpExceptionFilter } from './common/http/http-exception.filter';
import { MemoryStaticFiles } from './common/http/memory-static.middleware';
import { PayloadValidationPipe } from './common/validation/validation.pipe';
import { ConnectionLifecycle } from './realtime/connections/connection-lifecycle';
import { LocalSockets } from './realtime/connections/local-sockets';
import { EventDispatcher } from './realtime/io/event-dispatcher';
import { IoServer } from './realtime/io-server';
import { RealtimeIoAdapter, type ServerConfigurer } from './realtime/io/realtime-io.adapter';
import { useRedisAdapter } from './realtime/io/redis-adapter';
import { REDIS, type RedisConnections } from './redis/redis.providers';
import { APP_CONFIG, type AppConfig } from './config/config.module';
import { MetricsService } from './metrics/metrics.service';
import { JwtHandshakeAuthenticator } from './sessions/handshake-authenticator';
import { setupOpenApi } from './docs/openapi';

export interface CreateAppOptions {
  /** Overrides of environment variables for this app only (tests). */
  env?: Record<string, string | undefined>;
}

/**
 * Builds the application exactly as it runs in production; `main.ts` and every e2e test
 * start it through here. The caller decides when to `listen` and `close`.
 */
export async function createApp(options: CreateAppOptions = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(options.env), {
    // Nest's own logger would print a stack for a bad configuration; main.ts prints the message.
    // Everything after start-up goes to pino through useLogger below.
    logger: false,
    abortOnError: false,
    bodyParser: false,
  });
  app.useLogger(quietNestLogger(app.get(Logger)));
  const config = app.get<AppConfig>(APP_CONFIG);
  if (config.jwt.generated) {
    new NestLogger('Config').warn(
      '!!! JWT_SECRET is not set: using a random development secret. Tokens will not survive a restart ' +
        'and other instances will refuse them. Set JWT_SECRET (required when NODE_ENV=production). !!!',
    );
  }

  app.disable('x-powered-by');
  app.use(requestLogger(app.get(PINO)));
  app.use(helmet());
  // Behind a load balancer the client address (login throttling, logs) comes from X-Forwarded-For.
  if (config.trustProxy !== undefined) app.set('trust proxy', config.trustProxy);
  app.useBodyParser('json', { limit: config.limits.maxPayloadBytes });
  app.enableCors({ origin: config.corsOrigins, credentials: true });
  const metrics = app.get(MetricsService);
  app.useGlobalFilters(new HttpExceptionFilter((code) => metrics.httpError(code)));
  app.useGlobalPipes(new PayloadValidationPipe());
  // Docs and the demo page: /docs (OpenAPI, swagger-ui's files served from disk, but only under
  // /docs), / (public/) with the socket.io browser client at /vendor/socket.io.min.js, both from
  // memory: a file-system lookup in front of every route would make REST requests wait on libuv's
  // threadpool (busy with scrypt under a login flood). Nothing is fetched from a CDN.
  // DOCS_ENABLED=false / DEMO_ENABLED=false: those routes answer 404 like any unknown one.
  if (config.ops.docsEnabled) setupOpenApi(app);
  if (config.ops.demoEnabled) {
    const socketIoDist = join(dirname(require.resolve('socket.io-client/package.json')), 'dist');
    const staticFiles = new MemoryStaticFiles()
      .addDirectory(join(__dirname, '..', 'public'))
      .addFile('/vendor/socket.io.min.js', join(socketIoDist, 'socket.io.min.js'))
      .addFile('/vendor/socket.io.min.js.map', join(socketIoDist, 'socket.io.min.js.map'));
    app.use(staticFiles.middleware());
  }
  const redis = app.get<RedisConnections | null>(REDIS);
  const configure: ServerConfigurer[] = redis ? [useRedisAdapter(redis)] : [];
  app.useWebSocketAdapter(
    new RealtimeIoAdapter(app, {
      config,
      io: app.get(IoServer),
      guard: app.get(JwtHandshakeAuthenticator),
      lifecycle: app.get(ConnectionLifecycle),
      local: app.get(LocalSockets),
      dispatcher: app.get(EventDispatcher),
      configure,
    }),
  );
  return app;
}

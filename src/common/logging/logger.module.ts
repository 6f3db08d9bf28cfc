import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Inject } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import pino, { type Logger as Pino } from 'pino';
import { pinoHttp } from 'pino-http';
import { APP_CONFIG, type AppConfig } from '../../config/config.module';

/** Paths pino blanks in every log line: credentials never reach the logs. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.body.password',
  'req.body.token',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
  '*.accessToken',
];

/** The process's pino logger: Nest's `Logger` and the request log both write through it. */
export const PINO = Symbol('PINO');
export const InjectPino = () => Inject(PINO);

/**
 * JSON logs through pino. nestjs-pino maps Nest's `Logger` onto pino, but its request
 * middleware is NOT used: it runs every request inside an AsyncLocalStorage, and on Node 20
 * a single AsyncLocalStorage switches on promise hooks for the whole process, costing about
 * 12 % of a message send and 6–17 % of a handshake in the benchmark. Requests are logged by
 * `requestLogger` instead; code that logs during a request uses `req.log` for its id.
 */
export const AppLoggerModule = LoggerModule.forRootAsync({
  providers: [
    {
      provide: PINO,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig): Pino => pino({ level: config.logLevel, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }),
    },
  ],
  inject: [PINO],
  useFactory: (logger: Pino) => ({ pinoHttp: { logger }, forRoutes: [] }),
});

/** One line per request with a request id (a sane incoming `x-request-id`, or a new one) as `req.log`. */
export function requestLogger(logger: Pino) {
  return pinoHttp({
    logger,
    genReqId: (req: IncomingMessage) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && /^[\w.-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    },
    // The socket.io transport would otherwise log every polling request.
    autoLogging: { ignore: (req: IncomingMessage) => req.url?.startsWith('/socket.io') ?? false },
  });
}

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
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

/** JSON logs through pino, one line per request with a request id (incoming `x-request-id` or new). */
export const AppLoggerModule = LoggerModule.forRootAsync({
  inject: [APP_CONFIG],
  useFactory: (config: AppConfig) => ({
    pinoHttp: {
      level: config.logLevel,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      genReqId: (req: IncomingMessage) => {
        const incoming = req.headers['x-request-id'];
        return typeof incoming === 'string' && /^[\w.-]{1,64}$/.test(incoming) ? incoming : randomUUID();
      },
      // The socket.io transport would otherwise log every polling request.
      autoLogging: { ignore: (req: IncomingMessage) => req.url?.startsWith('/socket.io') ?? false },
    },
  }),
});

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Inject, type LoggerService } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import pino, { type DestinationStream, type Logger as Pino } from 'pino';
import { pinoHttp } from 'pino-http';
import pinoPretty from 'pino-pretty';
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
 * Logs through pino: JSON, or pretty lines with LOG_FORMAT=pretty. nestjs-pino maps Nest's `Logger` onto pino, but its request
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
      useFactory: (config: AppConfig): Pino =>
        pino({ level: config.logLevel, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, destination(config.ops.logFormat)),
    },
  ],
  inject: [PINO],
  useFactory: (logger: Pino) => ({ pinoHttp: { logger }, forRoutes: [] }),
});

/** LOG_FORMAT=pretty: pino-pretty in this thread (no worker), one readable line per entry. */
function destination(format: AppConfig['ops']['logFormat']): DestinationStream | undefined {
  if (format !== 'pretty') return undefined;
  return pinoPretty({
    colorize: Boolean(process.stdout.isTTY),
    sync: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,context,req,res,responseTime,reqId',
    messageFormat: '{if context}[{context}] {end}{msg}',
  });
}

/** Query parameters whose values never reach a log line. */
const SECRET_QUERY = /token|secret|password|passwd|key|auth|session|signature|sig|code/i;

/** The path and query of a request line, with the values of secret-looking parameters blanked. */
export function loggedUrl(url: string | undefined): string {
  if (!url) return '';
  const at = url.indexOf('?');
  if (at < 0) return url;
  const params = url
    .slice(at + 1)
    .split('&')
    .map((pair) => {
      const name = pair.split('=', 1)[0];
      let decoded = name;
      try {
        decoded = decodeURIComponent(name);
      } catch {
        // a malformed name is checked as it is
      }
      return SECRET_QUERY.test(decoded) ? `${name}=[redacted]` : pair;
    });
  return `${url.slice(0, at)}?${params.join('&')}`;
}

/** Express rewrites `req.url` inside mounted routers; the line shows what the client asked for. */
const urlOf = (req: IncomingMessage): string | undefined => (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url;

/** Probes and scrapes arrive every few seconds: at debug, so `info` shows what people did. */
const isProbe = (url: string | undefined): boolean => /^\/(health|metrics)(\/|\?|$)/.test(url ?? '');

/**
 * One compact line per request (method, url without secrets, status, milliseconds, request id;
 * no header dump), with a request id (a sane incoming `x-request-id`, or a new one) as `req.log`.
 */
export function requestLogger(logger: Pino) {
  return pinoHttp({
    logger,
    quietReqLogger: true,
    genReqId: (req: IncomingMessage) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && /^[\w.-]{1,64}$/.test(incoming) ? incoming : randomUUID();
    },
    serializers: {
      req: (req: { method: string; url: string }) => ({ method: req.method, url: loggedUrl(req.url) }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (req, res, error) => {
      if (error || res.statusCode >= 500) return 'error';
      if (isProbe(urlOf(req))) return 'debug';
      return res.statusCode >= 400 ? 'warn' : 'info';
    },
    customSuccessMessage: (req, res, ms) => `${req.method} ${loggedUrl(urlOf(req))} ${res.statusCode} ${Math.round(ms)}ms`,
    customErrorMessage: (req, res, error) => `${req.method} ${loggedUrl(urlOf(req))} ${res.statusCode} ${error.message}`,
    // The socket.io transport would otherwise log every polling request.
    autoLogging: { ignore: (req: IncomingMessage) => req.url?.startsWith('/socket.io') ?? false },
  });
}

/** Nest's own start-up chatter (modules loaded, every route mapped, gateways subscribed): debug. */
const NEST_STARTUP_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'WebSocketsController', 'NestFactory']);

/**
 * Nest's `Logger` on pino, minus the noise: the framework's start-up lines go to debug, and its
 * "Nest application successfully started" is dropped, because Nest says it before the port is
 * bound (main.ts logs "listening on" once it is).
 */
export function quietNestLogger(inner: LoggerService): LoggerService {
  return {
    log(message: unknown, ...optionalParams: unknown[]) {
      const context = optionalParams[optionalParams.length - 1];
      if (context === 'NestApplication' && message === 'Nest application successfully started') return;
      if (typeof context === 'string' && NEST_STARTUP_CONTEXTS.has(context)) inner.debug?.(message, ...optionalParams);
      else inner.log(message, ...optionalParams);
    },
    error(message: unknown, ...rest: unknown[]) {
      // A failed listen is reported by main.ts as one line naming the port.
      if (rest[rest.length - 1] === 'NestApplication' && /\blisten E[A-Z]+/.test(String(message))) return;
      inner.error(message, ...rest);
    },
    warn(message: unknown, ...rest: unknown[]) {
      inner.warn(message, ...rest);
    },
    debug(message: unknown, ...rest: unknown[]) {
      inner.debug?.(message, ...rest);
    },
    verbose(message: unknown, ...rest: unknown[]) {
      inner.verbose?.(message, ...rest);
    },
    fatal(message: unknown, ...rest: unknown[]) {
      inner.fatal?.(message, ...rest);
    },
  };
}

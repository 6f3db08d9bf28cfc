import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { ErrorCode } from '../../contracts';
import { toAppError } from '../errors/app-error';

/** Every REST failure leaves as `{ error: { code, message, details? } }`, never with a stack. */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  constructor(private readonly onError?: (code: ErrorCode) => void) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const { error, internal } = toAppError(exception);
    if (internal) {
      // `req.log` (pino-http) carries the request id; the Nest logger is the fallback.
      const log = http.getRequest<Request>().log;
      if (log) log.error({ err: exception }, 'request failed');
      else this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    }
    this.onError?.(error.code);
    if (response.headersSent) return;
    response.status(error.status).json({ error: error.toBody() });
  }
}

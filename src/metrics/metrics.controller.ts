import { Controller, Get, Headers, NotFoundException, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { AppError } from '../common/errors/app-error';
import { model } from '../common/http/openapi.decorators';
import { InjectConfig, type AppConfig } from '../config/config.module';
import { scrapeAllowed } from './metrics-access';
import { MetricsService } from './metrics.service';

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** Prometheus text format; behind METRICS_TOKEN when set, and only on METRICS_PORT when that is set. */
  @Get()
  @ApiOperation({ summary: 'Prometheus metrics (text format); `Authorization: Bearer <METRICS_TOKEN>` when METRICS_TOKEN is set' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ schema: { type: 'string' } })
  @ApiUnauthorizedResponse({
    description: '`UNAUTHORIZED`: METRICS_TOKEN is set and the bearer token is missing or wrong',
    content: { 'application/json': { schema: model('ErrorResponse') } },
  })
  scrape(@Res({ passthrough: true }) response: Response, @Headers('authorization') authorization?: string): Promise<string> {
    if (this.config.ops.metricsPort !== undefined) throw new NotFoundException();
    if (!scrapeAllowed(this.config.ops.metricsToken, authorization)) throw AppError.of('AUTH_REQUIRED');
    // Set here, not with @Header: a refusal above leaves as JSON.
    response.setHeader('content-type', 'text/plain; version=0.0.4; charset=utf-8');
    return this.metrics.registry.metrics();
  }
}

import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { model } from '../common/http/openapi.decorators';
import type { Response } from 'express';
import { HealthService, type HealthReport } from './health.service';

/**
 * Probes. `live` answers while the process serves HTTP at all (a liveness probe must not restart
 * a healthy instance because Redis is away); `ready` (and `/health`, its older name) answers 200
 * only while every dependency answers and no SIGTERM hand-over has begun.
 */
@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get()
  @ApiOperation({ summary: 'Readiness (the same as /health/ready)' })
  @ApiOkResponse({ schema: model('HealthReport') })
  @ApiServiceUnavailableResponse({ description: 'a dependency is down, or the instance is draining', schema: model('HealthReport') })
  check(@Res({ passthrough: true }) response: Response): Promise<HealthReport> {
    return this.ready(response);
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: every dependency answers and the instance is not draining' })
  @ApiOkResponse({ schema: model('HealthReport') })
  @ApiServiceUnavailableResponse({ description: 'a dependency is down, or the instance is draining', schema: model('HealthReport') })
  async ready(@Res({ passthrough: true }) response: Response): Promise<HealthReport> {
    const report = await this.health.ready();
    response.status(report.status === 'ok' ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return report;
  }

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process serves requests (never looks at dependencies)' })
  @ApiOkResponse({ schema: model('LiveReport') })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }
}

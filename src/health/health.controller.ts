import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { model } from '../common/http/openapi.decorators';
import type { Response } from 'express';
import { HealthService, type HealthReport } from './health.service';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  /** 200 when every dependency answers, 503 otherwise; `checks` says which one is down. */
  @Get()
  @ApiOperation({ summary: 'Readiness: every dependency answers' })
  @ApiOkResponse({ schema: model('HealthReport') })
  @ApiServiceUnavailableResponse({ description: 'a dependency is down', schema: model('HealthReport') })
  async check(@Res({ passthrough: true }) response: Response): Promise<HealthReport> {
    const report = await this.health.check();
    response.status(report.status === 'ok' ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return report;
  }
}

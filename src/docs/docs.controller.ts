import { Controller, Get, NotFoundException, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { InjectConfig, type AppConfig } from '../config/config.module';
import { buildAsyncApiDocument, type AsyncApiDocument } from './asyncapi';
import { renderAsyncApiHtml } from './asyncapi-html';
import { PACKAGE_VERSION } from './package-version';

/** The socket.io event documentation (404 with DOCS_ENABLED=false). The server address in it is the one the reader used. */
@ApiTags('docs')
@Controller()
export class DocsController {
  constructor(@InjectConfig() private readonly config: AppConfig) {}

  @Get('asyncapi.json')
  @ApiOperation({ summary: 'AsyncAPI document of the socket.io events (JSON)' })
  @ApiOkResponse({ description: 'The AsyncAPI 3.0 document of every socket.io event.' })
  asyncApiJson(@Req() request: Request): AsyncApiDocument {
    return this.document(request);
  }

  @Get('asyncapi')
  @ApiOperation({ summary: 'The socket.io events as a page' })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'The AsyncAPI document as a page.', schema: { type: 'string' } })
  asyncApiHtml(@Req() request: Request, @Res({ passthrough: true }) response: Response): string {
    const page = renderAsyncApiHtml(this.document(request));
    response.setHeader('content-type', 'text/html; charset=utf-8');
    return page;
  }

  private document(request: Request): AsyncApiDocument {
    if (!this.config.ops.docsEnabled) throw new NotFoundException();
    return buildAsyncApiDocument({ host: request.headers.host ?? 'localhost:3000', version: PACKAGE_VERSION });
  }
}

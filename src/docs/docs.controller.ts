import { Controller, Get, Header, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { buildAsyncApiDocument, type AsyncApiDocument } from './asyncapi';
import { renderAsyncApiHtml } from './asyncapi-html';
import { PACKAGE_VERSION } from './package-version';

/** The socket.io event documentation. The server address in it is the one the reader used. */
@ApiTags('docs')
@Controller()
export class DocsController {
  @Get('asyncapi.json')
  @ApiOperation({ summary: 'AsyncAPI document of the socket.io events (JSON)' })
  @ApiOkResponse({ description: 'The AsyncAPI 3.0 document of every socket.io event.' })
  asyncApiJson(@Req() request: Request): AsyncApiDocument {
    return this.document(request);
  }

  @Get('asyncapi')
  @ApiOperation({ summary: 'The socket.io events as a page' })
  @Header('content-type', 'text/html; charset=utf-8')
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'The AsyncAPI document as a page.', schema: { type: 'string' } })
  asyncApiHtml(@Req() request: Request): string {
    return renderAsyncApiHtml(this.document(request));
  }

  private document(request: Request): AsyncApiDocument {
    return buildAsyncApiDocument({ host: request.headers.host ?? 'localhost:3000', version: PACKAGE_VERSION });
  }
}

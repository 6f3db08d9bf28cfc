import { Module } from '@nestjs/common';
import { DocsController } from './docs.controller';

/** /asyncapi and /asyncapi.json. /docs (OpenAPI) is mounted by createApp once every controller exists. */
@Module({ controllers: [DocsController] })
export class DocsModule {}

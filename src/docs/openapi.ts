import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { MODEL_SCHEMAS, type JsonSchema } from '../contracts';
import { BEARER_SCHEME } from '../common/http/openapi.decorators';
import { PACKAGE_VERSION } from './package-version';
import { SERVER_KEY_SCHEME, SERVER_KEY_SCHEME_DEFINITION } from '../server-api/server-api.openapi';

const ERROR_RESPONSE: JsonSchema = {
  type: 'object',
  required: ['error'],
  additionalProperties: false,
  properties: { error: { $ref: '#/components/schemas/ErrorBody' } },
  description: 'Every REST failure.',
};

/** Mirrors HealthService's report; `checks` has one entry per dependency (database, redis). */
const HEALTH_REPORT: JsonSchema = {
  type: 'object',
  required: ['status', 'checks'],
  properties: {
    status: { enum: ['ok', 'error'] },
    checks: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['status'],
        properties: { status: { enum: ['up', 'down'] }, error: { type: 'string' } },
      },
    },
    draining: { enum: [true], description: 'Present once a SIGTERM hand-over began.' },
  },
};

const LIVE_REPORT: JsonSchema = {
  type: 'object',
  required: ['status'],
  additionalProperties: false,
  properties: { status: { enum: ['ok'] } },
};

/** The OpenAPI document of the REST routes, from the controllers' decorators. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('realtime-backend REST')
    .setDescription(
      'Accounts, tokens, users and message history. The realtime events are documented at [/asyncapi](/asyncapi). ' +
        'Every failure has the body `{ error: { code, message, details? } }`.',
    )
    .setVersion(PACKAGE_VERSION)
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, BEARER_SCHEME)
    .addBearerAuth({ ...SERVER_KEY_SCHEME_DEFINITION }, SERVER_KEY_SCHEME)
    .addTag('server', 'For the application’s own backend, behind SERVER_API_KEYS (off, 404, unless set)')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  document.components = {
    ...document.components,
    schemas: {
      ...document.components?.schemas,
      ...(MODEL_SCHEMAS as unknown as Record<string, never>),
      ErrorResponse: ERROR_RESPONSE as never,
      HealthReport: HEALTH_REPORT as never,
      LiveReport: LIVE_REPORT as never,
    },
  };
  return document;
}

/** Swagger UI at /docs and the raw document at /docs-json (swagger-ui-dist is served locally, no CDN). */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    customSiteTitle: 'realtime-backend REST',
    swaggerOptions: { defaultModelsExpandDepth: 0 },
  });
}

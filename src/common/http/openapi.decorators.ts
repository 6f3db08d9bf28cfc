import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiQuery, ApiResponse } from '@nestjs/swagger';
import { ERROR_CATALOGUE, type ErrorCode, type ModelName } from '../../contracts';
import { dtoSchema, type DtoClass } from './dto-schema';

/** Swagger decorators that take their schemas from the contract catalogue and the DTOs' class-validator rules. */

export const BEARER_SCHEME = 'bearer';

/** A `$ref` to a contract model (registered in components.schemas by setupOpenApi). */
export const model = (name: ModelName | 'ErrorResponse' | 'HealthReport' | 'LiveReport') => ({ $ref: `#/components/schemas/${name}` });

/** The documented failures of a route, one response per HTTP status, each with the `{ error }` body. */
export function ApiErrors(...codes: ErrorCode[]): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ERROR_CATALOGUE[code].status, [...(byStatus.get(ERROR_CATALOGUE[code].status) ?? []), code]);
  return applyDecorators(
    ...[...byStatus].map(([status, list]) =>
      ApiResponse({ status, description: list.map((c) => `\`${c}\``).join(' or '), schema: model('ErrorResponse') }),
    ),
  );
}

/** A JSON body validated by `dto`. */
export const ApiDtoBody = (dto: DtoClass): MethodDecorator => ApiBody({ schema: dtoSchema(dto) as never, required: true });

/** One query parameter per field of the query DTO `dto`. */
export function ApiDtoQuery(dto: DtoClass): MethodDecorator {
  const schema = dtoSchema(dto);
  const required = new Set(schema.required ?? []);
  return applyDecorators(
    ...Object.entries(schema.properties ?? {}).map(([name, property]) =>
      ApiQuery({ name, required: required.has(name), schema: property as never, description: property.description }),
    ),
  );
}

/** Routes behind the bearer guard: the scheme plus the 401 answers. */
export const ApiBearer = (): MethodDecorator & ClassDecorator =>
  applyDecorators(ApiBearerAuth(BEARER_SCHEME), ApiErrors('UNAUTHORIZED', 'TOKEN_EXPIRED'));

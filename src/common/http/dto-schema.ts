import { targetConstructorToSchema } from 'class-validator-jsonschema';
import type { JsonSchema } from '../../contracts';

/** A class-validator DTO class. */
export type DtoClass = new (...args: never[]) => object;

/** The JSON Schema of a DTO class's class-validator rules. Unknown fields are refused, as the validation pipe does. */
export function dtoSchema(dto: DtoClass): JsonSchema {
  return { ...(targetConstructorToSchema(dto) as JsonSchema), additionalProperties: false };
}

import { targetConstructorToSchema } from 'class-validator-jsonschema';
import type { JsonSchema } from '../contracts';

/** The JSON Schema of a DTO class's class-validator rules. Unknown fields are refused, as the validation pipe does. */
export function dtoSchema(dto: Function): JsonSchema {
  return { ...(targetConstructorToSchema(dto) as JsonSchema), additionalProperties: false };
}

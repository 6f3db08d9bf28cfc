/**
 * A tiny typed JSON Schema builder for the event catalogue. A `Schema<T>` carries the
 * TypeScript type it describes (phantom), and `objectOf<T>()` demands exactly T's keys, each
 * marked required or optional as T has it, so a field added to a model or event payload in
 * `models.ts`/`events.ts` fails to compile until its schema says so too.
 *
 * Only keywords common to JSON Schema 2020-12, AsyncAPI 3 and OpenAPI 3.0 are used
 * (no `const`, no type arrays), so the same schemas serve /asyncapi and /docs.
 */
export interface JsonSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  $ref?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: readonly unknown[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
  oneOf?: JsonSchema[];
  examples?: unknown[];
  [keyword: string]: unknown;
}

/** A JSON Schema that describes values of type T (T is compile-time only). */
export type Schema<T> = JsonSchema & { readonly __describes?: (value: T) => T };

type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];
type RequiredKeys<T> = Exclude<keyof T, OptionalKeys<T>>;

export interface Field<T, Optional extends boolean> {
  schema: Schema<T>;
  optional: Optional;
}
type Fields<T> = { [K in RequiredKeys<T>]-?: Field<T[K], false> } & {
  [K in OptionalKeys<T>]-?: Field<Exclude<T[K], undefined>, true>;
};

export const req = <T>(schema: Schema<T>): Field<T, false> => ({ schema, optional: false });
export const opt = <T>(schema: Schema<T>): Field<T, true> => ({ schema, optional: true });

const describe = <T>(schema: Schema<T>, description?: string): Schema<T> => (description ? { ...schema, description } : schema);

export const str = (
  description?: string,
  limits: Pick<JsonSchema, 'minLength' | 'maxLength' | 'format' | 'pattern'> = {},
): Schema<string> => describe({ type: 'string', ...limits }, description);
export const int = (description?: string, limits: Pick<JsonSchema, 'minimum' | 'maximum'> = {}): Schema<number> =>
  describe({ type: 'integer', ...limits }, description);
export const bool = (description?: string): Schema<boolean> => describe({ type: 'boolean' }, description);
export const dateTime = (description?: string): Schema<string> => str(description, { format: 'date-time' });
export const oneOfValues = <const V extends string | boolean>(values: readonly V[], description?: string): Schema<V> =>
  describe({ enum: values }, description);
export const arrayOf = <T>(items: Schema<T>, description?: string, maxItems?: number): Schema<T[]> =>
  describe({ type: 'array', items, ...(maxItems === undefined ? {} : { maxItems }) }, description);
export const emptyObject: Schema<Record<string, never>> = { type: 'object', additionalProperties: false, properties: {} };
/** Anything (e.g. error `details`). */
export const anything = (description?: string): Schema<unknown> => describe({}, description);

/** An object with exactly T's fields; unknown fields are not allowed (drift shows up in tests). */
export function objectOf<T>(fields: Fields<T>, description?: string): Schema<T> {
  const entries: [string, Field<unknown, boolean>][] = Object.entries(fields);
  const required = entries.filter(([, f]) => !f.optional).map(([k]) => k);
  return describe(
    {
      type: 'object',
      properties: Object.fromEntries(entries.map(([k, f]) => [k, f.schema])),
      ...(required.length ? { required } : {}),
      additionalProperties: false,
    },
    description,
  );
}

/** A reference to a named model in `components.schemas`, typed as that model. */
export const refTo = <T>(name: string): Schema<T> => ({ $ref: `#/components/schemas/${name}` });

import type { JsonSchema } from '../contracts';

/** `room:member-joined` → `RoomMemberJoined`, `lastMessage` → `LastMessage`. */
export const pascalCase = (text: string): string =>
  text
    .split(/[^a-zA-Z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');

/** A schema a code generator turns into a model of its own (an object, a union, an enum). */
const isModel = (schema: JsonSchema): boolean =>
  schema.type === 'object' ||
  schema.properties !== undefined ||
  schema.oneOf !== undefined ||
  schema.allOf !== undefined ||
  (schema.enum !== undefined && typeof schema.const !== 'boolean');

/**
 * Names every schema below `schema` for code generators (Modelina, asyncapi generator templates),
 * which otherwise call each inline object `AnonymousSchema_N`: a model gets `title` = its parent's
 * name plus its place (`MessageSendAckOk`, `MessageSendResultMessages`, `PresenceListPayloadItem`),
 * and an enum of one value also gets `const`, so `ok: true` becomes the literal `true`. Applied to
 * the whole AsyncAPI document after it is built, so a new event is named without anyone doing so.
 * `$ref`s are left alone (the referenced component carries its own name); a title already given
 * is kept. `taken` keeps names unique across the document.
 */
export function nameSchemas(schema: JsonSchema, name: string, taken: Set<string>): JsonSchema {
  if (schema.$ref) return schema;
  const out: JsonSchema = { ...schema };
  if (out.enum?.length === 1 && out.const === undefined) {
    out.const = out.enum[0];
    // A fixed boolean is `{ type: boolean, const }`: generators read a one-value enum of a
    // boolean as a string enum ("true").
    if (typeof out.const === 'boolean') {
      delete out.enum;
      out.type = 'boolean';
    }
  }
  let title = typeof out.title === 'string' ? out.title : undefined;
  if (!title && isModel(out)) {
    title = name;
    for (let n = 2; taken.has(title); n++) title = `${name}${n}`;
    out.title = title;
  }
  if (title) taken.add(title);
  const base = title ?? name;
  if (out.properties) {
    out.properties = Object.fromEntries(
      Object.entries(out.properties).map(([key, field]) => [key, nameSchemas(field, `${base}${pascalCase(key)}`, taken)]),
    );
  }
  if (out.items) out.items = nameSchemas(out.items, `${base}Item`, taken);
  if (typeof out.additionalProperties === 'object') out.additionalProperties = nameSchemas(out.additionalProperties, `${base}Value`, taken);
  for (const key of ['oneOf', 'allOf', 'anyOf'] as const) {
    const list = out[key] as JsonSchema[] | undefined;
    if (list) out[key] = list.map((part, i) => nameSchemas(part, `${base}${variantName(part, i)}`, taken));
  }
  return out;
}

/** The ack envelope's two branches read `Ok` and `Error`; other variants are numbered. */
function variantName(part: JsonSchema, index: number): string {
  const ok = part.properties?.ok?.enum ?? [part.properties?.ok?.const];
  if (ok.length === 1 && typeof ok[0] === 'boolean') return ok[0] ? 'Ok' : 'Error';
  return `Option${index + 1}`;
}

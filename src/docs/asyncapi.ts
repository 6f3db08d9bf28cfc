import {
  CLIENT_EVENT_DOCS,
  COMMON_EVENT_ERRORS,
  codeOf,
  ERROR_CODES,
  ERROR_REASON_NAMES,
  MODEL_SCHEMAS,
  SERVER_EVENT_DOCS,
  type ClientEventName,
  type ErrorCode,
  type ErrorReason,
  type JsonSchema,
  type ServerEventName,
} from '../contracts';
import { payloadSchema } from './payload-schemas';
import { nameSchemas, pascalCase } from './schema-names';

/**
 * AsyncAPI 3.0 rather than 2.6: acks are request/reply, which 3.0 models natively
 * (`operation.reply`), and an event name used in both directions (`typing`, `message:read`)
 * is one channel with a `receive` and a `send` operation instead of 2.6's
 * publish/subscribe-from-whose-view ambiguity.
 */
export const ASYNCAPI_VERSION = '3.0.0';

export interface AsyncApiOptions {
  /** `host[:port]` clients connect to; the docs controller uses the request's Host. */
  host: string;
  version: string;
}

export type AsyncApiDocument = Record<string, unknown> & {
  channels: Record<string, { address: string; messages: Record<string, { $ref: string }> }>;
  components: { schemas: Record<string, JsonSchema>; messages: Record<string, AsyncApiMessage>; securitySchemes: Record<string, unknown> };
};

export interface AsyncApiMessage {
  name: string;
  title: string;
  summary: string;
  description?: string;
  payload: JsonSchema;
  /** Client events: the codes a failed ack can carry. */
  'x-errors'?: ErrorCode[];
  /** Client events: the reasons a failed ack can carry (each with its code). */
  'x-reasons'?: ErrorReason[];
  /** Server events: which sockets receive it. */
  'x-receivers'?: string;
}

/** `room:member-joined` → `roomMemberJoined`: AsyncAPI ids allow neither `:` nor every `-`. */
export const channelId = (event: string): string => event.replace(/[:-]+(.)/g, (_, c: string) => c.toUpperCase());

/** The reasons a failed ack of `event` can carry, in the catalogue's order. */
export function eventReasons(event: ClientEventName): ErrorReason[] {
  const own = new Set<ErrorReason>([...COMMON_EVENT_ERRORS, ...CLIENT_EVENT_DOCS[event].errors]);
  return ERROR_REASON_NAMES.filter((reason) => own.has(reason));
}

/** The codes of those reasons. */
export function eventErrors(event: ClientEventName): ErrorCode[] {
  const codes = new Set(eventReasons(event).map(codeOf));
  return ERROR_CODES.filter((code) => codes.has(code));
}

/** The ack envelope of one event: its result as `data`, or an error limited to its codes. */
export function ackSchema(event: ClientEventName): JsonSchema {
  return {
    oneOf: [
      {
        type: 'object',
        required: ['ok', 'data'],
        additionalProperties: false,
        properties: { ok: { enum: [true] }, data: CLIENT_EVENT_DOCS[event].result },
      },
      {
        type: 'object',
        required: ['ok', 'error'],
        additionalProperties: false,
        properties: {
          ok: { enum: [false] },
          // ErrorBody narrowed to this event's codes and reasons, written out rather than as
          // allOf + overrides: generators merge those into one loose enum.
          error: {
            ...MODEL_SCHEMAS.ErrorBody,
            description: 'An ErrorBody limited to the codes and reasons of this event.',
            properties: {
              ...MODEL_SCHEMAS.ErrorBody.properties,
              code: { enum: eventErrors(event) },
              reason: { enum: eventReasons(event) },
            },
          },
        },
      },
    ],
  };
}

const CONNECTING = [
  'socket.io 4 on the HTTP port (path `/socket.io/`). Connect with `io(BASE_URL, { auth: { token, sessionId }, transports: ["websocket"] })`.',
  'A refused handshake ends in `connect_error` with `message: "unauthorized"` and `data: { code: "UNAUTHORIZED" | "TOKEN_EXPIRED", reason, message }`,',
  'or `message: "forbidden"` and `data: { code: "FORBIDDEN", reason: "LIMIT_REACHED", message, details: { limit } }` when the user already has MAX_CONNECTIONS_PER_USER sockets open.',
  'Every client event takes an ack callback and is answered `{ ok: true, data }` or `{ ok: false, error: { code, reason, message, details? } }`',
  '(`reason` is narrower than `code`: see the ErrorBody schema for every reason and its details);',
  'without a callback a failure arrives as the `exception` event. An unknown event is answered `NOT_FOUND` (`UNKNOWN_EVENT`); unknown payload fields `BAD_REQUEST` (`INVALID_PAYLOAD`).',
].join(' ');

/** The AsyncAPI document of every socket.io event, from the contract catalogue and the gateways' DTOs. */
export function buildAsyncApiDocument(options: AsyncApiOptions): AsyncApiDocument {
  const channels: AsyncApiDocument['channels'] = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, AsyncApiMessage> = {};
  const channelFor = (event: string) => {
    const id = channelId(event);
    channels[id] ??= { address: event, messages: {} };
    return id;
  };

  for (const event of Object.keys(CLIENT_EVENT_DOCS) as ClientEventName[]) {
    const doc = CLIENT_EVENT_DOCS[event];
    const id = channelFor(event);
    const errors = eventErrors(event);
    messages[`${id}Request`] = {
      name: event,
      title: `${event} (client → server)`,
      summary: doc.summary,
      ...(doc.description ? { description: doc.description } : {}),
      payload: payloadSchema(event),
      'x-errors': errors,
      'x-reasons': eventReasons(event),
    };
    messages[`${id}Ack`] = {
      name: event,
      title: `${event} ack`,
      summary: `Answer to ${event}: the result as data, or one of ${errors.join(', ')}.`,
      payload: ackSchema(event),
    };
    channels[id].messages.request = { $ref: `#/components/messages/${id}Request` };
    channels[id].messages.ack = { $ref: `#/components/messages/${id}Ack` };
    operations[`receive${id[0].toUpperCase()}${id.slice(1)}`] = {
      action: 'receive',
      channel: { $ref: `#/channels/${id}` },
      summary: doc.summary,
      messages: [{ $ref: `#/channels/${id}/messages/request` }],
      reply: { channel: { $ref: `#/channels/${id}` }, messages: [{ $ref: `#/channels/${id}/messages/ack` }] },
    };
  }

  for (const event of Object.keys(SERVER_EVENT_DOCS) as ServerEventName[]) {
    const doc = SERVER_EVENT_DOCS[event];
    const id = channelFor(event);
    messages[`${id}Event`] = {
      name: event,
      title: `${event} (server → client)`,
      summary: doc.summary,
      description: `Sent to ${doc.receivers}.`,
      payload: doc.payload,
      'x-receivers': doc.receivers,
    };
    channels[id].messages.event = { $ref: `#/components/messages/${id}Event` };
    operations[`send${id[0].toUpperCase()}${id.slice(1)}`] = {
      action: 'send',
      channel: { $ref: `#/channels/${id}` },
      summary: doc.summary,
      messages: [{ $ref: `#/channels/${id}/messages/event` }],
    };
  }

  // Every payload and model named for code generators (schema-names.ts): components first, so
  // their keys stay their names.
  const taken = new Set<string>(Object.keys(MODEL_SCHEMAS));
  const schemas = Object.fromEntries(
    Object.entries(MODEL_SCHEMAS).map(([key, schema]) => [key, nameSchemas({ title: key, ...schema }, key, taken)]),
  );
  const SUFFIXES: Record<string, string> = { Request: 'Payload', Ack: 'Ack', Event: 'Event' };
  for (const [key, message] of Object.entries(messages)) {
    const kind = /(Request|Ack|Event)$/.exec(key)![1];
    message.payload = nameSchemas(message.payload, `${pascalCase(message.name)}${SUFFIXES[kind]}`, taken);
  }

  return {
    asyncapi: ASYNCAPI_VERSION,
    info: {
      title: 'realtime-backend events',
      version: options.version,
      description: CONNECTING,
    },
    defaultContentType: 'application/json',
    servers: {
      default: {
        host: options.host,
        protocol: 'ws',
        pathname: '/socket.io/',
        description: 'socket.io 4 (Engine.IO v4); websocket transport recommended.',
        security: [{ $ref: '#/components/securitySchemes/bearer' }],
      },
    },
    channels,
    operations,
    components: {
      schemas,
      messages,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'The access token from POST /auth/login or /auth/register, as `auth.token` in the handshake (or an `Authorization: Bearer` header).',
        },
      },
    },
  };
}

import type { Viewer } from './models';

/**
 * The error catalogue shared by REST bodies and socket.io acks.
 * `status` is the HTTP status a REST response uses for the code.
 */
export const ERROR_CATALOGUE = {
  BAD_REQUEST: { status: 400, message: 'Invalid request' },
  UNAUTHORIZED: { status: 401, message: 'Authentication required' },
  TOKEN_EXPIRED: { status: 401, message: 'Token expired' },
  FORBIDDEN: { status: 403, message: 'Not allowed' },
  NOT_FOUND: { status: 404, message: 'Not found' },
  CONFLICT: { status: 409, message: 'Conflict' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'Payload too large' },
  RATE_LIMITED: { status: 429, message: 'Too many requests' },
  INTERNAL: { status: 500, message: 'Internal error' },
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as ErrorCode[];

/** One entry of `details` for BAD_REQUEST: the field path and what is wrong with it. */
export interface FieldError {
  field: string;
  errors: string[];
}

/**
 * The typed `details` of the reasons that carry any (the others have none).
 */
export interface ErrorReasonDetails {
  INVALID_PAYLOAD: FieldError[];
  LIMIT_REACHED: { limit: number };
  RATE_LIMITED: { retryAfterMs: number };
  MODAL_HELD: { holder: Viewer };
  USERS_NOT_FOUND: { userIds: string[] };
}

interface ReasonDef {
  code: ErrorCode;
  /** The default message (a throw site may say more). */
  message: string;
  /** When it happens, for the docs. */
  summary: string;
}

/**
 * Named reasons beside the 9 wire codes (AFFiNE's `base/error/def.ts` is the model): a client
 * switches on `error.reason` where the code alone is too coarse, and a reader finds every error
 * the service gives in this one table. A reason named like its code is the generic one.
 */
export const ERROR_REASONS = {
  INVALID_PAYLOAD: {
    code: 'BAD_REQUEST',
    message: 'Invalid request',
    summary: 'a field is missing, of the wrong type or out of range, or the payload is not an object; `details` lists each field',
  },
  AUTH_REQUIRED: { code: 'UNAUTHORIZED', message: 'Authentication required', summary: 'no token was given' },
  TOKEN_INVALID: {
    code: 'UNAUTHORIZED',
    message: 'Invalid token',
    summary: 'the token is malformed, wrongly signed, or names a user that does not exist',
  },
  SERVER_KEY_INVALID: {
    code: 'UNAUTHORIZED',
    message: 'Invalid server API key',
    summary: 'a `/server/v1/*` call without `Authorization: Bearer <one of SERVER_API_KEYS>`',
  },
  CREDENTIALS_INVALID: {
    code: 'UNAUTHORIZED',
    message: 'Invalid username or password',
    summary: 'login failed (the same answer whether the user exists or not)',
  },
  TOKEN_EXPIRED: { code: 'TOKEN_EXPIRED', message: 'Token expired', summary: 'the token is past its expiry: get a new one' },
  NOT_A_MEMBER: {
    code: 'FORBIDDEN',
    message: 'Not allowed',
    summary: 'the room is known to you (public, or you are invited) but you are not a member',
  },
  NOT_YOUR_TOKEN: {
    code: 'FORBIDDEN',
    message: 'The token belongs to another user',
    summary: '`session:refresh` with a token of another user',
  },
  LIMIT_REACHED: { code: 'FORBIDDEN', message: 'Limit reached', summary: 'a configured cap; `details.limit` says which number' },
  FORBIDDEN: { code: 'FORBIDDEN', message: 'Not allowed', summary: 'not allowed (generic)' },
  ROOM_NOT_FOUND: {
    code: 'NOT_FOUND',
    message: 'Room not found',
    summary: 'no such room, or a private room you are neither in nor invited to (the same answer on purpose)',
  },
  CONVERSATION_NOT_FOUND: {
    code: 'NOT_FOUND',
    message: 'Conversation not found',
    summary: 'no such conversation, or one that is not yours (the same answer on purpose)',
  },
  USER_NOT_FOUND: { code: 'NOT_FOUND', message: 'User not found', summary: 'no such user' },
  USERS_NOT_FOUND: { code: 'NOT_FOUND', message: 'Some users do not exist', summary: '`details.userIds` lists the unknown ones' },
  MODAL_NOT_OPEN: {
    code: 'NOT_FOUND',
    message: 'This session does not have that modal open',
    summary: 'closing a modal this session does not have open',
  },
  UNKNOWN_EVENT: { code: 'NOT_FOUND', message: 'Unknown event', summary: 'an event name the server does not handle' },
  ROUTE_NOT_FOUND: { code: 'NOT_FOUND', message: 'Not found', summary: 'no such REST route' },
  USERNAME_TAKEN: { code: 'CONFLICT', message: 'Username is already taken', summary: 'registration with a taken username' },
  MODAL_HELD: {
    code: 'CONFLICT',
    message: 'Another user has this modal open',
    summary: 'another user holds the modal exclusively, or has it open while you ask `exclusive`; `details.holder` is that viewer',
  },
  CONFLICT: { code: 'CONFLICT', message: 'Conflict', summary: 'conflict (generic)' },
  PAYLOAD_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE', message: 'Payload too large', summary: 'a REST body over MAX_PAYLOAD_BYTES' },
  RATE_LIMITED: {
    code: 'RATE_LIMITED',
    message: 'Too many requests',
    summary: 'an event, login, registration or password-hash rate limit; retry after `details.retryAfterMs`',
  },
  INTERNAL: { code: 'INTERNAL', message: 'Internal error', summary: 'a bug or an unreachable dependency; nothing about it is revealed' },
  UNAVAILABLE: {
    code: 'INTERNAL',
    message: 'The service cannot accept connections right now',
    summary: 'a handshake the service could not complete (a dependency is down); retry',
  },
} as const satisfies Record<string, ReasonDef>;

export type ErrorReason = keyof typeof ERROR_REASONS;

export const ERROR_REASON_NAMES = Object.keys(ERROR_REASONS) as ErrorReason[];

/** The code a reason answers with. */
export const codeOf = (reason: ErrorReason): ErrorCode => ERROR_REASONS[reason].code;

export interface ErrorBody {
  code: ErrorCode;
  /** Narrower than `code`: see ERROR_REASONS. */
  reason: ErrorReason;
  message: string;
  details?: unknown;
}

export type AckOk<T> = { ok: true; data: T };
export type AckError = { ok: false; error: ErrorBody };
/** The envelope every client-to-server event is answered with. */
export type Ack<T> = AckOk<T> | AckError;

/** Sent to a socket that emitted without an ack callback when the event failed. */
export interface ExceptionEvent {
  event: string;
  error: ErrorBody;
}

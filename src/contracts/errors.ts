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
  /** `holder` is left out (and `hidden: true` given) when the holder is invisible to you. */
  MODAL_HELD: { holder?: Viewer; hidden?: true };
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
    summary: 'login failed (the same answer whether the user exists or not, or has no local password)',
  },
  PASSWORD_INVALID: {
    code: 'FORBIDDEN',
    message: 'Current password is wrong',
    summary: '`POST /users/me/password` with a wrong `currentPassword`, or for a user from the identity provider (no local password)',
  },
  TOKEN_EXPIRED: { code: 'TOKEN_EXPIRED', message: 'Token expired', summary: 'the token is past its expiry: get a new one' },
  SESSION_ENDED: {
    code: 'UNAUTHORIZED',
    message: 'Session ended',
    summary:
      'the token belongs to a session that was ended (logout, `DELETE /auth/sessions`, password change, refresh token reuse): log in again',
  },
  REFRESH_INVALID: {
    code: 'UNAUTHORIZED',
    message: 'Invalid refresh token',
    summary: 'the refresh token is unknown, expired, or its session ended',
  },
  REFRESH_REUSED: {
    code: 'UNAUTHORIZED',
    message: 'Refresh token already used; the session is ended',
    summary: 'a refresh token was used a second time: its whole session (token family) is ended',
  },
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
  ROOM_ROLE_REQUIRED: {
    code: 'FORBIDDEN',
    message: 'Your role in this room does not allow this',
    summary:
      'room administration beyond your role: `room:update`/`room:kick` need owner or admin, `room:set-role`/`room:delete` the owner; an admin cannot kick the owner or another admin',
  },
  USER_BLOCKED: {
    code: 'FORBIDDEN',
    message: 'This user cannot be messaged',
    summary: 'a direct message or typing to a user who blocked you',
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
  SESSION_NOT_FOUND: {
    code: 'NOT_FOUND',
    message: 'Session not found',
    summary: '`DELETE /auth/sessions/{sessionId}` for a session that is not a live one of yours',
  },
  USER_NOT_FOUND: { code: 'NOT_FOUND', message: 'User not found', summary: 'no such user' },
  MESSAGE_NOT_FOUND: {
    code: 'NOT_FOUND',
    message: 'Message not found',
    summary: 'no such message, a deleted one, or one in a conversation you may not read (the same answer on purpose)',
  },
  NOT_MESSAGE_AUTHOR: {
    code: 'FORBIDDEN',
    message: 'Only the author may do this',
    summary: '`message:edit` of another user’s message; `message:delete` of one when you are not the room’s owner or an admin',
  },
  USERS_NOT_FOUND: { code: 'NOT_FOUND', message: 'Some users do not exist', summary: '`details.userIds` lists the unknown ones' },
  MEMBER_NOT_FOUND: {
    code: 'NOT_FOUND',
    message: 'That user is not a member of this room',
    summary: '`room:kick`/`room:set-role` naming a user who is not in the room',
  },
  MODAL_NOT_OPEN: {
    code: 'NOT_FOUND',
    message: 'This session does not have that modal open',
    summary: 'closing a modal this session does not have open',
  },
  MODAL_NOT_HELD: {
    code: 'NOT_FOUND',
    message: 'Nobody else holds this modal exclusively',
    summary: '`modal:request` of a modal no other user holds exclusively',
  },
  MODAL_NO_REQUEST: {
    code: 'NOT_FOUND',
    message: 'That user has not asked for this modal',
    summary: '`modal:release` with `to` naming a user who has not sent `modal:request` since the lock last changed hands',
  },
  MODAL_NOT_HOLDER: {
    code: 'FORBIDDEN',
    message: 'This session does not hold the lock of that modal',
    summary: '`modal:release` from a session that is not the exclusive holder',
  },
  UNKNOWN_EVENT: { code: 'NOT_FOUND', message: 'Unknown event', summary: 'an event name the server does not handle' },
  ROUTE_NOT_FOUND: { code: 'NOT_FOUND', message: 'Not found', summary: 'no such REST route' },
  USERNAME_TAKEN: { code: 'CONFLICT', message: 'Username is already taken', summary: 'registration with a taken username' },
  MODAL_HELD: {
    code: 'CONFLICT',
    message: 'Another user has this modal open',
    summary:
      'another user holds the modal exclusively, or has it open while you ask `exclusive`; `details.holder` is that viewer (`details.hidden: true` instead when that user is invisible)',
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

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

export interface ErrorBody {
  code: ErrorCode;
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

import type { FieldError } from '../contracts';
import { AppError } from '../common/errors/app-error';
import { parseConversationId } from '../access/conversation-id';

/** Where a `conversation:list` page ends: its last entry's activity time and conversation id. */
export interface ConversationCursor {
  activity: string;
  conversationId: string;
}

/** Timestamps as the service writes them (`Date.prototype.toISOString`, UTC). */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

/** Opaque to clients (base64url of `[activity, conversationId]`); only `next` is meant to be sent back. */
export function encodeConversationCursor(cursor: ConversationCursor): string {
  return Buffer.from(JSON.stringify([cursor.activity, cursor.conversationId])).toString('base64url');
}

/** The cursor in `before`; anything that is not one this service handed out is BAD_REQUEST. */
export function decodeConversationCursor(value: string): ConversationCursor {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  if (
    Array.isArray(decoded) &&
    decoded.length === 2 &&
    typeof decoded[0] === 'string' &&
    ISO_UTC.test(decoded[0]) &&
    parseConversationId(decoded[1]) !== undefined
  ) {
    return { activity: decoded[0], conversationId: decoded[1] as string };
  }
  const details: FieldError[] = [{ field: 'before', errors: ['before must be the `next` cursor of a previous conversation:list page'] }];
  throw AppError.invalid('Invalid payload: before: malformed cursor', details);
}

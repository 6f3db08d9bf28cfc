import { AppError } from '../common/errors/app-error';

/**
 * Keyset position in a room's member list, which is ordered by (joined_at, user_id): the last
 * member of a page. On the wire it is opaque (`next` / `after`): base64url of `[joinedAt, userId]`.
 * Shared by `room:join`, `room:members` and `presence:list { roomId }`.
 */
export interface MemberCursor {
  joinedAt: string;
  userId: string;
}

/** A page of `T` and where the next one starts (`next` only when `hasMore`). */
export interface MemberPage<T> {
  items: T[];
  hasMore: boolean;
  next?: string;
}

/** `after` is a string of at most this many characters (the DTOs say so too). */
export const MEMBER_CURSOR_MAX_LENGTH = 256;

export function encodeMemberCursor(cursor: MemberCursor): string {
  return Buffer.from(JSON.stringify([cursor.joinedAt, cursor.userId]), 'utf8').toString('base64url');
}

/** BAD_REQUEST (field `after`) for anything that is not a cursor this service handed out. */
export function decodeMemberCursor(after: string): MemberCursor {
  let parsed: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(after) || after.length > MEMBER_CURSOR_MAX_LENGTH) throw new Error('not base64url');
    parsed = JSON.parse(Buffer.from(after, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (
    Array.isArray(parsed) &&
    parsed.length === 2 &&
    typeof parsed[0] === 'string' &&
    typeof parsed[1] === 'string' &&
    parsed[0].length >= 1 &&
    parsed[0].length <= 32 &&
    parsed[1].length >= 1 &&
    parsed[1].length <= 64 &&
    !parsed[0].includes('\u0000') &&
    !parsed[1].includes('\u0000')
  ) {
    return { joinedAt: parsed[0], userId: parsed[1] };
  }
  throw AppError.invalid('Invalid payload: after is not a cursor from a previous page', [
    { field: 'after', errors: ['after must be the `next` of a previous page'] },
  ]);
}

/**
 * Turns `limit + 1` rows read in member order into a page: the extra row only says that more
 * exist, and the last row kept is where the next page starts.
 */
export function toMemberPage<R extends { joined_at: string; user_id: string }>(rows: R[], limit: number): MemberPage<R> {
  const hasMore = rows.length > limit;
  const items = hasMore ? rows.slice(0, limit) : rows;
  const last = items[items.length - 1];
  return hasMore && last
    ? { items, hasMore, next: encodeMemberCursor({ joinedAt: last.joined_at, userId: last.user_id }) }
    : { items, hasMore };
}

import type { FieldError } from '../contracts';
import { AppError } from '../common/errors/app-error';

export type ParsedConversationId = { kind: 'dm'; id: string; userA: string; userB: string } | { kind: 'room'; id: string; roomId: string };

const DM = /^dm:([^:\s]{1,64}):([^:\s]{1,64})$/;
const ROOM = /^room:([^:\s]{1,64})$/;

/** `dm:<a>:<b>` with the two ids sorted, so both users name the conversation the same way. */
export function dmConversationId(userA: string, userB: string): string {
  return userA <= userB ? `dm:${userA}:${userB}` : `dm:${userB}:${userA}`;
}

export function roomConversationId(roomId: string): string {
  return `room:${roomId}`;
}

/** Parses a conversationId; undefined when malformed (unsorted DM ids count as malformed). */
export function parseConversationId(id: unknown): ParsedConversationId | undefined {
  if (typeof id !== 'string' || id.length > 160) return undefined;
  const dm = DM.exec(id);
  if (dm) return dm[1] <= dm[2] ? { kind: 'dm', id, userA: dm[1], userB: dm[2] } : undefined;
  const room = ROOM.exec(id);
  return room ? { kind: 'room', id, roomId: room[1] } : undefined;
}

export function requireConversationId(id: unknown): ParsedConversationId {
  const parsed = parseConversationId(id);
  if (!parsed) {
    const details: FieldError[] = [
      { field: 'conversationId', errors: ['conversationId must be dm:<userIdA>:<userIdB> (ids sorted) or room:<roomId>'] },
    ];
    throw AppError.invalid('Malformed conversationId', details);
  }
  return parsed;
}

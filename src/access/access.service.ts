import { Injectable } from '@nestjs/common';
import { AppError } from '../common/errors/app-error';
import type { AppSocket } from '../realtime/socket.types';
import { AccessRepository, type MemberIdPage, type RoomRole, type RoomStanding } from './access.repository';
import { requireConversationId, type ParsedConversationId } from './conversation-id';
import { decodeMemberCursor } from './member-cursor';

/** Bound of the user ids `requireUser` remembers (~5 MB); the set starts over when full. */
const KNOWN_USERS_CAP = 50_000;

/** The one answer for a room that does not exist and for one the caller may not know about. */
export const roomNotFound = () => AppError.of('ROOM_NOT_FOUND');
/** The one answer for a conversation that does not exist and for one that is not the caller's. */
export const conversationNotFound = () => AppError.of('CONVERSATION_NOT_FOUND');

/**
 * Every "may this user read / send to / see this" of the service, in one place (immich's
 * `utils/access.ts`), so the rules are the same wherever a third party asks:
 *
 * - A room: its members may use it. A room the caller may know of (public rooms are listed
 *   openly; a private room they are invited to) but has not joined is `FORBIDDEN`. An unknown
 *   room and a private room they are neither in nor invited to are `NOT_FOUND` with one message,
 *   so existence cannot be probed.
 * - A direct conversation: only its two participants; for anybody else it is `NOT_FOUND` like an
 *   unknown one, decided from the id alone (whether the two ever talked is not revealed).
 * - A user: anyone may message an existing user, unless that user blocked them (USER_BLOCKED);
 *   a blocker looks offline to the users they blocked and none of their typing reaches them.
 * - Room administration, by role: owner and admins update the room and kick; only the owner
 *   sets roles and deletes the room. Nobody kicks the owner; an admin kicks plain members only
 *   (not another admin); nobody kicks or demotes themselves (the owner leaves instead).
 *
 * Each check costs a primary-key lookup for the caller who passes; only a refusal reads more.
 */
@Injectable()
export class AccessService {
  /** Ids seen to exist. Users are not deleted (yet), so a yes stays true. */
  private readonly knownUsers = new Set<string>();
  /** Block lists of sockets between their rooms' read and their connect listeners (see noteBlockedAtConnect). */
  private readonly blockedAtConnect = new WeakMap<AppSocket, string[]>();

  constructor(private readonly access: AccessRepository) {}

  /** The caller's role in the room, or the refusal a non-member gets (see the class comment). */
  async requireRoomMember(userId: string, roomId: string, forbidden: string): Promise<RoomRole> {
    const role = await this.access.memberRole(roomId, userId);
    if (role) return role;
    throw refusal(await this.access.standing(roomId, userId), forbidden, roomNotFound);
  }

  /** The room as the caller stands to it, when they may know of it at all (else NOT_FOUND). */
  async requireRoomKnown(userId: string, roomId: string): Promise<RoomStanding> {
    const standing = await this.access.standing(roomId, userId);
    if (!standing || !mayKnow(standing)) throw roomNotFound();
    return standing;
  }

  /**
   * The conversation, parsed, when the caller takes part in it: malformed → BAD_REQUEST; see the
   * class comment for the rest. A DM with an existing user and no messages yet is readable.
   */
  async requireConversation(userId: string, conversationId: string): Promise<ParsedConversationId> {
    const parsed = requireConversationId(conversationId);
    if (parsed.kind === 'room') {
      if (await this.access.memberRole(parsed.roomId, userId)) return parsed;
      throw refusal(await this.access.standing(parsed.roomId, userId), 'Only members may read this room', conversationNotFound);
    }
    if (parsed.userA !== userId && parsed.userB !== userId) throw conversationNotFound();
    const peer = parsed.userA === userId ? parsed.userB : parsed.userA;
    if (peer !== userId && !(await this.userExists(peer))) throw conversationNotFound();
    return parsed;
  }

  /**
   * The id of an existing user, given our own id or else an identity-provider subject
   * (`externalId`); NOT_FOUND when neither names a user (anyone may message or invite an existing user).
   */
  async requireUser(idOrSubject: string): Promise<string> {
    if (await this.userExists(idOrSubject)) return idOrSubject;
    const id = await this.access.userIdOfSubject(idOrSubject);
    if (!id) throw AppError.of('USER_NOT_FOUND');
    return id;
  }

  /**
   * The caller's role when it is one of `allowed`: a non-member gets the refusal of
   * `requireRoomMember`, a member with another role ROOM_ROLE_REQUIRED.
   */
  async requireRoomRole(userId: string, roomId: string, allowed: readonly RoomRole[]): Promise<RoomRole> {
    const role = await this.requireRoomMember(userId, roomId, 'Only members may administer this room');
    if (!allowed.includes(role)) throw AppError.of('ROOM_ROLE_REQUIRED');
    return role;
  }

  /** ROOM_ROLE_REQUIRED unless a member of role `actor` may kick one of role `target` (see the class comment). */
  requireMayKick(actor: RoomRole, target: RoomRole): void {
    const may = actor === 'owner' ? target !== 'owner' : actor === 'admin' && target === 'member';
    if (!may) throw AppError.of('ROOM_ROLE_REQUIRED', 'Your role in this room does not allow removing that member');
  }

  /**
   * A direct message (or typing) from `senderId` to `recipient` (an id or a provider subject, see
   * `requireUser`): the recipient's id, once it is known to exist and not to have blocked the sender.
   */
  async requireMayMessage(senderId: string, recipient: string): Promise<string> {
    if (senderId === recipient) return senderId;
    const recipientId = await this.requireUser(recipient);
    if (await this.access.isBlocked(recipientId, senderId)) throw AppError.of('USER_BLOCKED');
    return recipientId;
  }

  /** Whether `blockerId` blocked `userId` (a DM's typing from the blocker is not relayed). */
  isBlocked(blockerId: string, userId: string): Promise<boolean> {
    return this.access.isBlocked(blockerId, userId);
  }

  /** Users `userId` blocked: they see `userId` offline and get none of their typing (≤ MAX_BLOCKS_PER_USER). */
  blockedBy(userId: string): Promise<string[]> {
    return this.access.blockedBy(userId);
  }

  /**
   * A connecting socket's block list, read with its rooms in the handshake (ChatSubscriptions):
   * the connect listeners take it (once) instead of reading it again.
   */
  noteBlockedAtConnect(socket: AppSocket, blockedIds: string[]): void {
    this.blockedAtConnect.set(socket, blockedIds);
  }

  /** What `noteBlockedAtConnect` kept for the socket, forgotten as it is taken. */
  takeBlockedAtConnect(socket: AppSocket): string[] | undefined {
    const blockedIds = this.blockedAtConnect.get(socket);
    this.blockedAtConnect.delete(socket);
    return blockedIds;
  }

  /** Those of `userIds` who blocked `viewerId` (they look offline to the viewer). */
  async blockersAmong(viewerId: string, userIds: readonly string[]): Promise<Set<string>> {
    return new Set(await this.access.blockersAmong(viewerId, userIds));
  }

  /**
   * Whether the user moderates the room: its owner or an admin (read from the role column, so a
   * role added later needs no change here). Moderators may delete any message of the room.
   */
  async mayModerateRoom(userId: string, roomId: string): Promise<boolean> {
    const role: string | undefined = await this.access.memberRole(roomId, userId);
    return role !== undefined && MODERATOR_ROLES.has(role);
  }

  /** A page of a room's member ids, for its members only. */
  async roomMemberIds(viewerId: string, roomId: string, page: { after?: string; limit: number }): Promise<MemberIdPage> {
    const after = page.after === undefined ? undefined : decodeMemberCursor(page.after);
    await this.requireRoomMember(viewerId, roomId, 'Only members see who is in this room');
    return this.access.memberIds(roomId, after, page.limit);
  }

  /**
   * Whether a user exists, for checks that run per message (a DM's recipient). Only positive
   * answers are remembered: a user registered a moment ago on another instance is found.
   */
  private async userExists(userId: string): Promise<boolean> {
    if (this.knownUsers.has(userId)) return true;
    if (!(await this.access.userExists(userId))) return false;
    if (this.knownUsers.size >= KNOWN_USERS_CAP) this.knownUsers.clear();
    this.knownUsers.add(userId);
    return true;
  }
}

/** The room roles that moderate: delete others' messages. */
const MODERATOR_ROLES: ReadonlySet<string> = new Set(['owner', 'admin']);

/** Public rooms are listed openly; a private room is known to its invitees. */
function mayKnow(standing: RoomStanding): boolean {
  return standing.role !== undefined || standing.visibility === 'public' || standing.invited;
}

function refusal(standing: RoomStanding | undefined, forbidden: string, notFound: () => AppError): AppError {
  return standing && mayKnow(standing) ? AppError.of('NOT_A_MEMBER', forbidden) : notFound();
}

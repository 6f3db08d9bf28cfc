/** Shapes shared by REST and socket.io. Ids are opaque strings, times ISO-8601 UTC. */

export interface User {
  id: string;
  username: string;
  displayName: string;
  createdAt: string;
}

export type PresenceStatus = 'online' | 'away' | 'busy' | 'offline';
/** What a user may set; `invisible` is seen as `offline` by everybody else. */
export type SettableStatus = 'online' | 'away' | 'busy' | 'invisible';

export interface Presence {
  userId: string;
  username: string;
  status: PresenceStatus;
  statusText?: string;
  lastSeenAt?: string;
  /** How many sockets the user has open; 0 when offline. */
  connections: number;
  /** Only in a user's own presence: they chose `invisible`, so everybody else sees them `offline`. */
  invisible?: true;
}

export interface UserWithPresence extends User {
  presence: Presence;
}

export interface AuthResult {
  user: User;
  accessToken: string;
  tokenType: 'Bearer';
  /** Lifetime of `accessToken` in seconds. */
  expiresIn: number;
  /** Opaque and single use: `POST /auth/refresh` exchanges it for new tokens (stored only hashed). */
  refreshToken: string;
  /** Lifetime of `refreshToken` in seconds. */
  refreshExpiresIn: number;
}

/** One login (register, login, and every refresh after them), as `GET /auth/sessions` lists it. */
export interface AuthSession {
  sessionId: string;
  createdAt: string;
  /** The login or the last refresh. */
  lastSeenAt: string;
  /** Whether a socket opened with this login's tokens is connected. */
  online: boolean;
  /** The User-Agent header of the login. */
  userAgent?: string;
  /** True for the session of the token that asked. */
  current: boolean;
}

export interface MessageAuthor {
  id: string;
  username: string;
}

export interface Message {
  id: string;
  conversationId: string;
  seq: number;
  from: MessageAuthor;
  to?: string;
  roomId?: string;
  content: string;
  clientMsgId?: string;
  createdAt: string;
  /** Set once the author edited it (`message:edit`). */
  editedAt?: string;
  /** A tombstone (`message:delete`): `content` is empty; no mentions, reactions or reply. */
  deletedAt?: string;
  /** The message this one answers, as it was when the reply was sent. */
  replyTo?: MessageReplyRef;
  /** Users named as `@username` who take part in the conversation (at most 20). */
  mentions?: string[];
  /** One entry per emoji, in the order they were first used. */
  reactions?: ReactionSummary[];
}

export interface MessageReplyRef {
  id: string;
  seq: number;
  from: MessageAuthor;
  /** The first 100 characters of the replied message. */
  excerpt: string;
}

export interface ReactionSummary {
  /** One emoji or a `:short_name:`. */
  emoji: string;
  count: number;
  /** The first 20 users who reacted with it (`count` has them all). */
  userIds: string[];
}

export type RoomVisibility = 'public' | 'private';

export interface Room {
  id: string;
  name: string;
  visibility: RoomVisibility;
  ownerId: string;
  memberCount: number;
  createdAt: string;
}

/** `owner`: one per room, all rights; `admin`: updates the room and kicks members; `member`: uses it. */
export type RoomRole = 'owner' | 'admin' | 'member';
/** The roles `room:set-role` gives (ownership only passes when the owner leaves). */
export type AssignableRoomRole = 'admin' | 'member';

export interface RoomMember {
  userId: string;
  username: string;
  role: RoomRole;
  online: boolean;
  status: PresenceStatus;
}

export interface ConversationSummary {
  conversationId: string;
  type: 'dm' | 'room';
  peer?: User;
  room?: Room;
  lastMessage?: Message;
  unreadCount: number;
  lastReadSeq: number;
  /** Messages after `lastReadSeq` that mention you. */
  mentionCount: number;
}

export interface MessagePage {
  messages: Message[];
  hasMore: boolean;
}

export interface Viewer {
  userId: string;
  username: string;
  sessionId: string;
  exclusive: boolean;
  openedAt: string;
}

/**
 * The exclusive lock of a modal: its holder (the exclusive viewer that took it first) and the
 * fencing token, a number that grows every time the lock changes hands and never goes back, so the
 * app's backend can refuse the write of an editor whose token is older than the current one.
 */
export interface ModalLock {
  holder: Viewer;
  fencingToken: number;
}

export interface ModalState {
  modalId: string;
  viewers: Viewer[];
  /** Present while a viewer holds the modal exclusively (and is not invisible to the receiver). */
  lock?: ModalLock;
}

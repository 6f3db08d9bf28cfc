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

export type RoomRole = 'owner' | 'member';

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

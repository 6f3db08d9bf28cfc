/**
 * The one typed source of truth for socket.io events: names, payloads and ack data.
 * Server, tests, docs and the client SDK import these maps.
 */
import type { Ack, ErrorBody, ExceptionEvent } from './errors';
import type {
  AssignableRoomRole,
  ConversationSummary,
  Message,
  ReactionSummary,
  MessagePage,
  ModalState,
  Presence,
  Room,
  RoomMember,
  SettableStatus,
  User,
  Viewer,
} from './models';

// ---- client → server payloads -------------------------------------------------------------

export interface SessionRefreshPayload {
  token: string;
}
export interface SessionRefreshResult {
  expiresAt: string;
}

export interface MessageSendPayload {
  to?: string;
  roomId?: string;
  content: string;
  clientMsgId?: string;
  /** Id of a message of the same conversation this one answers. */
  replyTo?: string;
}
export interface MessageEditPayload {
  messageId: string;
  content: string;
}
export interface MessageDeletePayload {
  messageId: string;
}
export interface MessageReactPayload {
  messageId: string;
  /** One emoji, or a `:short_name:` (`a-z 0-9 _ + -`, ≤ 32). */
  emoji: string;
  /** true adds your reaction, false removes it. */
  on: boolean;
}
export interface MessageReactResult {
  messageId: string;
  reactions: ReactionSummary[];
}
export interface MessageSearchPayload {
  /** Words to find (text, never query syntax); 1–200 characters. */
  query: string;
  /** Only this conversation. */
  conversationId?: string;
  /** 1–50 (20). */
  limit?: number;
  /** `next` of the previous page. */
  before?: string;
}
export interface MessageSearchResult {
  /** Best match first (then newest). */
  results: Message[];
  hasMore: boolean;
  /** With `hasMore`: send it as `before` for the next page. */
  next?: string;
}
export interface ConversationChangesPayload {
  /**
   * 1–100 entries, one per conversation: the `cursor` its last answer gave, or a bare
   * `conversationId` (everything from the start, page by page).
   */
  cursors: string[];
  /** Items (messages, read pointers, memberships) in the whole answer, 1–100 (100). */
  limit?: number;
}
export interface ReadPointerState {
  userId: string;
  seq: number;
}
/** A room member now (`role`), or not any more (no `role`: left, kicked or the room deleted). */
export interface MembershipState {
  userId: string;
  role?: string;
}
export interface ConversationChanges {
  conversationId: string;
  /** New messages (ascending seq), then messages changed since the cursor (edits, tombstones, reactions), each as it is now. */
  messages: Message[];
  /** Read pointers that moved since the cursor. */
  reads: ReadPointerState[];
  /** Rooms: memberships that changed since the cursor. */
  members: MembershipState[];
  /** `<conversationId>@<seq>.<change>`: send it back next time (opaque). */
  cursor: string;
  /** More changes follow: ask again with `cursor`. */
  hasMore: boolean;
  /** You may not read this conversation (any more): the same body `message:history` would fail with. */
  error?: ErrorBody;
}
export interface ConversationChangesResult {
  conversations: ConversationChanges[];
}
export interface MessageHistoryPayload {
  conversationId: string;
  before?: number;
  after?: number;
  limit?: number;
}
export interface MessageReadPayload {
  conversationId: string;
  seq: number;
}
export interface MessageReadResult {
  conversationId: string;
  seq: number;
}
/** One page of your conversations; `{}` is the first page. */
export interface ConversationListPayload {
  /** 1–200, default 100. */
  limit?: number;
  /** `next` of the previous page. */
  before?: string;
}
export interface ConversationListResult {
  conversations: ConversationSummary[];
  /** Older conversations exist; fetch them with `before: next`. */
  hasMore: boolean;
  /** Present when `hasMore`. */
  next?: string;
}
export interface TypingPayload {
  to?: string;
  roomId?: string;
  isTyping: boolean;
}

export interface RoomCreatePayload {
  name: string;
  visibility?: 'public' | 'private';
  members?: string[];
}
export interface RoomListPayload {
  scope?: 'joined' | 'public';
}
export interface RoomListResult {
  rooms: Room[];
}
export interface RoomJoinPayload {
  roomId: string;
}
/** `members` is the first page (by join time); `room:members { after: next }` pages on. */
export interface RoomJoinResult {
  room: Room;
  members: RoomMember[];
  hasMore: boolean;
  next?: string;
}
export interface RoomMembersPayload {
  roomId: string;
  after?: string;
  limit?: number;
}
export interface RoomMembersResult {
  members: RoomMember[];
  hasMore: boolean;
  next?: string;
}
export interface RoomInvitePayload {
  roomId: string;
  userId: string;
}
export interface RoomInviteResult {
  roomId: string;
  userId: string;
}
export interface RoomLeavePayload {
  roomId: string;
}
export interface RoomLeaveResult {
  roomId: string;
}
/** `room:update`: at least one of `name`, `visibility`. */
export interface RoomUpdatePayload {
  roomId: string;
  name?: string;
  visibility?: 'public' | 'private';
}
export interface RoomKickPayload {
  roomId: string;
  userId: string;
}
export interface RoomSetRolePayload {
  roomId: string;
  userId: string;
  role: AssignableRoomRole;
}
export interface RoomDeletePayload {
  roomId: string;
}
export interface UserBlockPayload {
  userId: string;
}
/** `user:blocks`: a page of the users you blocked, most recent first. */
export interface UserBlocksPayload {
  after?: string;
  limit?: number;
}
export interface UserBlocksResult {
  users: User[];
  hasMore: boolean;
  next?: string;
}

export interface PresenceSubscribePayload {
  userIds?: string[];
  all?: boolean;
}
/** `hasMore`/`next` only on paged answers (`presence:list`). */
export interface PresenceUsersResult {
  users: Presence[];
  /** Paged answers (online users, a room's members): more follow; ask again with `after: next`. */
  hasMore?: boolean;
  /** With `hasMore`: the cursor for the next page. */
  next?: string;
}
export interface PresenceUnsubscribePayload {
  userIds?: string[];
  all?: boolean;
}
export interface PresenceListPayload {
  roomId?: string;
  userIds?: string[];
  /** Paging (online users, or a room's members): the `next` of the previous page. */
  after?: string;
  /** Page size, 1–500 (100). */
  limit?: number;
}
export interface PresenceSetPayload {
  status: SettableStatus;
  statusText?: string;
}

export interface ModalOpenPayload {
  modalId: string;
  exclusive?: boolean;
}
export interface ModalClosePayload {
  modalId: string;
}
export interface ModalCloseResult {
  modalId: string;
}
export interface ModalListPayload {
  modalId?: string;
}
export interface ModalListResult {
  modals: ModalState[];
  /** Without `modalId`: more than the 500 listed modals are open (watch the ones you show instead). */
  hasMore?: boolean;
}
/** What `modal:watch` / `modal:unwatch` name: modal ids (≤ 500) and id prefixes (≤ 20). */
export interface ModalWatchPayload {
  modalIds?: string[];
  prefixes?: string[];
}
/**
 * The watched modals that are open now: the named ones first, then those matching a prefix (by
 * id), at most 500 in all; `hasMore` when a prefix matched more than fit (`modal:list` pages on).
 */
export interface ModalWatchResult {
  modals: ModalState[];
  hasMore: boolean;
}
export interface ModalRequestPayload {
  modalId: string;
}
export interface ModalReleasePayload {
  modalId: string;
  /** Hand the lock over to this user, who must have asked for it with `modal:request`. */
  to?: string;
}

// ---- server → client payloads -------------------------------------------------------------

export interface SessionEvent {
  sessionId: string;
  user: User;
  /** When this connection's token expires (ISO 8601): send `session:refresh` before then. */
  expiresAt: string;
}
/** Why a connection was ended by the server (`session:expired`); `deleted`: the app's backend deleted the user. */
export const SESSION_END_REASONS = ['token_expired', 'logout', 'revoked', 'password_changed', 'deleted'] as const;
export type SessionEndReason = (typeof SESSION_END_REASONS)[number];

export interface SessionExpiredEvent {
  reason: SessionEndReason;
}
export interface MessageReadEvent {
  conversationId: string;
  userId: string;
  seq: number;
}
export interface TypingEvent {
  conversationId: string;
  userId: string;
  isTyping: boolean;
}
export interface RoomMemberJoinedEvent {
  roomId: string;
  user: User;
}
/** The body `app:event` carries to sockets (`POST /server/v1/publish`). */
export interface AppEvent {
  event: string;
  data: unknown;
  publishedAt: string;
}
/** `ownerId` is present when the leaver was the owner and ownership passed to another member. */
export interface RoomMemberLeftEvent {
  roomId: string;
  userId: string;
  ownerId?: string;
  /** `left` (room:leave), `kicked` (room:kick), `deleted` (the user was deleted: `DELETE /server/v1/users/:id`; a deleted room sends `room:deleted` instead). */
  reason: 'left' | 'kicked' | 'deleted';
}
export interface RoomUpdatedEvent {
  room: Room;
}
export interface RoomDeletedEvent {
  roomId: string;
}
export interface RoomInvitedEvent {
  room: Room;
  by: User;
}
export interface ModalStateEvent {
  modals: ModalState[];
}
export interface ModalOpenedEvent {
  modalId: string;
  viewer: Viewer;
}
export interface ModalClosedEvent {
  modalId: string;
  userId: string;
  sessionId: string;
  reason: 'closed' | 'disconnected';
}
/**
 * The exclusive lock of a modal changed hands (`holder` absent: nobody holds it now, and
 * `fencingToken` is the one of the lock that just ended), or someone asked for it (`requestedBy`).
 */
export interface ModalLockEvent {
  modalId: string;
  holder?: Viewer;
  fencingToken: number;
  requestedBy?: Pick<User, 'id' | 'username'>;
}

/**
 * Request/response pairs of every client → server event: `payload` is what the client
 * sends, `result` the `data` of a successful ack.
 */
export interface ClientEventMap {
  'session:refresh': { payload: SessionRefreshPayload; result: SessionRefreshResult };
  'message:send': { payload: MessageSendPayload; result: Message };
  'message:history': { payload: MessageHistoryPayload; result: MessagePage };
  'message:read': { payload: MessageReadPayload; result: MessageReadResult };
  'message:edit': { payload: MessageEditPayload; result: Message };
  'message:delete': { payload: MessageDeletePayload; result: Record<string, never> };
  'message:react': { payload: MessageReactPayload; result: MessageReactResult };
  'message:search': { payload: MessageSearchPayload; result: MessageSearchResult };
  'conversation:changes': { payload: ConversationChangesPayload; result: ConversationChangesResult };
  'conversation:list': { payload: ConversationListPayload; result: ConversationListResult };
  typing: { payload: TypingPayload; result: Record<string, never> };
  'room:create': { payload: RoomCreatePayload; result: Room };
  'room:list': { payload: RoomListPayload; result: RoomListResult };
  'room:join': { payload: RoomJoinPayload; result: RoomJoinResult };
  'room:members': { payload: RoomMembersPayload; result: RoomMembersResult };
  'room:invite': { payload: RoomInvitePayload; result: RoomInviteResult };
  'room:leave': { payload: RoomLeavePayload; result: RoomLeaveResult };
  'room:update': { payload: RoomUpdatePayload; result: Room };
  'room:kick': { payload: RoomKickPayload; result: Record<string, never> };
  'room:set-role': { payload: RoomSetRolePayload; result: Record<string, never> };
  'room:delete': { payload: RoomDeletePayload; result: Record<string, never> };
  'user:block': { payload: UserBlockPayload; result: Record<string, never> };
  'user:unblock': { payload: UserBlockPayload; result: Record<string, never> };
  'user:blocks': { payload: UserBlocksPayload; result: UserBlocksResult };
  'presence:subscribe': { payload: PresenceSubscribePayload; result: PresenceUsersResult };
  'presence:unsubscribe': { payload: PresenceUnsubscribePayload; result: Record<string, never> };
  'presence:list': { payload: PresenceListPayload; result: PresenceUsersResult };
  'presence:set': { payload: PresenceSetPayload; result: Presence };
  'modal:open': { payload: ModalOpenPayload; result: ModalState };
  'modal:close': { payload: ModalClosePayload; result: ModalCloseResult };
  'modal:list': { payload: ModalListPayload; result: ModalListResult };
  'modal:watch': { payload: ModalWatchPayload; result: ModalWatchResult };
  'modal:unwatch': { payload: ModalWatchPayload; result: Record<string, never> };
  'modal:request': { payload: ModalRequestPayload; result: Record<string, never> };
  'modal:release': { payload: ModalReleasePayload; result: Record<string, never> };
}

export type ClientEventName = keyof ClientEventMap;

/** Payloads of every server → client event. */
export interface ServerEventMap {
  session: SessionEvent;
  'session:expired': SessionExpiredEvent;
  exception: ExceptionEvent;
  'message:new': Message;
  'message:read': MessageReadEvent;
  'message:updated': Message;
  typing: TypingEvent;
  'room:member-joined': RoomMemberJoinedEvent;
  'room:member-left': RoomMemberLeftEvent;
  'room:invited': RoomInvitedEvent;
  'room:updated': RoomUpdatedEvent;
  'room:deleted': RoomDeletedEvent;
  'presence:update': Presence;
  'modal:state': ModalStateEvent;
  'modal:opened': ModalOpenedEvent;
  'modal:closed': ModalClosedEvent;
  'modal:lock': ModalLockEvent;
  /** Published by the app's backend (`POST /server/v1/publish`). */
  'app:event': AppEvent;
}

export type ServerEventName = keyof ServerEventMap;

/** socket.io generic: client → server listeners as the server sees them. */
export type ClientToServerEvents = {
  [E in ClientEventName]: (payload: ClientEventMap[E]['payload'], ack?: (response: Ack<ClientEventMap[E]['result']>) => void) => void;
};

/** socket.io generic: server → client emits. */
export type ServerToClientEvents = {
  [E in ServerEventName]: (payload: ServerEventMap[E]) => void;
};

/**
 * socket.io generic: what one instance tells the others through the Redis adapter (never a
 * client). `of` and `rooms` are room names; each instance moves its own sockets that are in `of`.
 */
export interface InterServerEvents {
  'sockets:join': (of: string | string[], rooms: string | string[]) => void;
  'sockets:leave': (of: string | string[], rooms: string | string[]) => void;
  /** Answered at once: everything the sender published before has been applied here (see RealtimeService.othersCaughtUp). */
  'sockets:caught-up': (done: (caughtUp: true) => void) => void;
}

/** What the handshake middleware puts on `socket.data`: the authenticated principal. */
export interface SocketData {
  user: User;
  sessionId: string;
  /** Whether `sessionId` was resumed from `auth.sessionId` rather than issued now. */
  resumed: boolean;
  /** Token expiry, epoch milliseconds. */
  tokenExpiresAt: number;
  /** The login (`GET /auth/sessions`) the token belongs to; absent for identity-provider tokens. */
  authSessionId?: string;
}

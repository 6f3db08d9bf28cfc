/**
 * The one typed source of truth for socket.io events: names, payloads and ack data.
 * Server, tests, docs and the client SDK import these maps.
 */
import type { Ack, ExceptionEvent } from './errors';
import type { AppEvent } from './webhooks';
import type {
  ConversationSummary,
  Message,
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
}

// ---- server → client payloads -------------------------------------------------------------

export interface SessionEvent {
  sessionId: string;
  user: User;
}
/** `deleted`: the app's backend deleted the user (`DELETE /server/v1/users/:id`). */
export interface SessionExpiredEvent {
  reason: 'token_expired' | 'deleted';
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
/** `ownerId` is present when the leaver was the owner and ownership passed to another member. */
export interface RoomMemberLeftEvent {
  roomId: string;
  userId: string;
  ownerId?: string;
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
 * Request/response pairs of every client → server event: `payload` is what the client
 * sends, `result` the `data` of a successful ack.
 */
export interface ClientEventMap {
  'session:refresh': { payload: SessionRefreshPayload; result: SessionRefreshResult };
  'message:send': { payload: MessageSendPayload; result: Message };
  'message:history': { payload: MessageHistoryPayload; result: MessagePage };
  'message:read': { payload: MessageReadPayload; result: MessageReadResult };
  'conversation:list': { payload: ConversationListPayload; result: ConversationListResult };
  typing: { payload: TypingPayload; result: Record<string, never> };
  'room:create': { payload: RoomCreatePayload; result: Room };
  'room:list': { payload: RoomListPayload; result: RoomListResult };
  'room:join': { payload: RoomJoinPayload; result: RoomJoinResult };
  'room:members': { payload: RoomMembersPayload; result: RoomMembersResult };
  'room:invite': { payload: RoomInvitePayload; result: RoomInviteResult };
  'room:leave': { payload: RoomLeavePayload; result: RoomLeaveResult };
  'presence:subscribe': { payload: PresenceSubscribePayload; result: PresenceUsersResult };
  'presence:unsubscribe': { payload: PresenceUnsubscribePayload; result: Record<string, never> };
  'presence:list': { payload: PresenceListPayload; result: PresenceUsersResult };
  'presence:set': { payload: PresenceSetPayload; result: Presence };
  'modal:open': { payload: ModalOpenPayload; result: ModalState };
  'modal:close': { payload: ModalClosePayload; result: ModalCloseResult };
  'modal:list': { payload: ModalListPayload; result: ModalListResult };
}

export type ClientEventName = keyof ClientEventMap;

/** Payloads of every server → client event. */
export interface ServerEventMap {
  session: SessionEvent;
  'session:expired': SessionExpiredEvent;
  exception: ExceptionEvent;
  'message:new': Message;
  'message:read': MessageReadEvent;
  typing: TypingEvent;
  'room:member-joined': RoomMemberJoinedEvent;
  'room:member-left': RoomMemberLeftEvent;
  'room:invited': RoomInvitedEvent;
  'presence:update': Presence;
  'modal:state': ModalStateEvent;
  'modal:opened': ModalOpenedEvent;
  'modal:closed': ModalClosedEvent;
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

export type InterServerEvents = Record<string, never>;

/** What the handshake middleware puts on `socket.data`: the authenticated principal. */
export interface SocketData {
  user: User;
  sessionId: string;
  /** Whether `sessionId` was resumed from `auth.sessionId` rather than issued now. */
  resumed: boolean;
  /** Token expiry, epoch milliseconds. */
  tokenExpiresAt: number;
}

/**
 * The documentation half of the event contract: for every event in `ClientEventMap` and
 * `ServerEventMap`, what it does, who receives it, which error codes its ack can carry, and
 * JSON Schemas of the data it carries. /asyncapi, /docs and the schema tests are generated
 * from this (payload schemas of client events come from the gateways' DTO classes, see
 * src/docs/payload-schemas.ts). The catalogues are mapped types over the event names, so an
 * event added to the maps does not compile until it is documented here, and each schema is
 * typed as the TypeScript shape it describes.
 */
import { ERROR_CODES, ERROR_REASON_NAMES, ERROR_REASONS, type ErrorBody, type ErrorReason, type FieldError } from './errors';
import type {
  ClientEventMap,
  ClientEventName,
  ConversationChanges,
  MembershipState,
  ReadPointerState,
  PresenceUsersResult,
  RoomJoinResult,
  RoomMembersResult,
  ServerEventMap,
  UserBlocksResult,
  ServerEventName,
} from './events';
import { SESSION_END_REASONS } from './events';
import type {
  AuthResult,
  AuthSession,
  ConversationSummary,
  Message,
  MessageAuthor,
  MessageReplyRef,
  ReactionSummary,
  MessagePage,
  ModalLock,
  ModalState,
  Presence,
  Room,
  RoomMember,
  User,
  UserWithPresence,
  Viewer,
} from './models';
import { anything, arrayOf, bool, dateTime, emptyObject, int, objectOf, oneOfValues, opt, refTo, req, str, type Schema } from './schema';

/** Named shapes, published as `components.schemas` in both documents. */
interface Models {
  User: User;
  Presence: Presence;
  UserWithPresence: UserWithPresence;
  AuthResult: AuthResult;
  AuthSession: AuthSession;
  MessageAuthor: MessageAuthor;
  MessageReplyRef: MessageReplyRef;
  ReactionSummary: ReactionSummary;
  Message: Message;
  MessagePage: MessagePage;
  Room: Room;
  RoomMember: RoomMember;
  ConversationSummary: ConversationSummary;
  Viewer: Viewer;
  ModalLock: ModalLock;
  ModalState: ModalState;
  ErrorBody: ErrorBody;
  FieldError: FieldError;
}
export type ModelName = keyof Models;

const ref = <K extends ModelName>(name: K): Schema<Models[K]> => refTo<Models[K]>(name);

const id = (description = 'opaque id') => str(description);
const presenceStatus = oneOfValues(['online', 'away', 'busy', 'offline'] as const);

export const MODEL_SCHEMAS: { [K in ModelName]: Schema<Models[K]> } = {
  User: objectOf<User>(
    {
      id: req(id()),
      username: req(str('3–32 characters of a-z 0-9 _ . -, lower-case')),
      displayName: req(str()),
      createdAt: req(dateTime()),
    },
    'A registered user.',
  ),
  Presence: objectOf<Presence>(
    {
      userId: req(id()),
      username: req(str()),
      status: req(presenceStatus),
      statusText: opt(str(undefined, { maxLength: 140 })),
      lastSeenAt: opt(dateTime('when the user last went offline')),
      connections: req(int('open sockets of the user; 0 when offline', { minimum: 0 })),
      invisible: opt(oneOfValues([true] as const, 'only in your own presence: you chose `invisible`, everybody else sees `offline`')),
    },
    'Whether a user is online, as the receiving user may see it.',
  ),
  UserWithPresence: objectOf<UserWithPresence>({
    id: req(id()),
    username: req(str()),
    displayName: req(str()),
    createdAt: req(dateTime()),
    presence: req(ref('Presence')),
  }),
  AuthResult: objectOf<AuthResult>({
    user: req(ref('User')),
    accessToken: req(str('JWT: send it as `auth.token` on connect or `Authorization: Bearer` on REST')),
    tokenType: req(oneOfValues(['Bearer'] as const)),
    expiresIn: req(int('lifetime of accessToken in seconds')),
    refreshToken: req(str('opaque, single use: exchange it at `POST /auth/refresh`; a second use ends the session')),
    refreshExpiresIn: req(int('lifetime of refreshToken in seconds')),
  }),
  AuthSession: objectOf<AuthSession>(
    {
      sessionId: req(id('the login; `DELETE /auth/sessions/{sessionId}` ends it')),
      createdAt: req(dateTime()),
      lastSeenAt: req(dateTime('the login or its last refresh')),
      online: req(bool('a socket opened with its tokens is connected')),
      userAgent: opt(str('User-Agent of the login', { maxLength: 256 })),
      current: req(bool('the session of the token that asked')),
    },
    'One login of the service’s own auth: its access and refresh tokens, and the sockets opened with them.',
  ),
  MessageAuthor: objectOf<MessageAuthor>({ id: req(id()), username: req(str()) }),
  Message: objectOf<Message>(
    {
      id: req(id()),
      conversationId: req(str('`dm:<userIdA>:<userIdB>` (ids sorted) or `room:<roomId>`')),
      seq: req(int('1, 2, 3, … per conversation, no gaps', { minimum: 1 })),
      from: req(ref('MessageAuthor')),
      to: opt(id('recipient of a direct message')),
      roomId: opt(id('room of a room message')),
      content: req(str('trimmed, 1–MESSAGE_MAX_LENGTH characters; empty in a tombstone')),
      clientMsgId: opt(str('the sender’s idempotency key', { maxLength: 64 })),
      createdAt: req(dateTime()),
      editedAt: opt(dateTime('when the author last edited it')),
      deletedAt: opt(dateTime('a tombstone: deleted then; no content, mentions, reactions or reply')),
      replyTo: opt(ref('MessageReplyRef')),
      mentions: opt(arrayOf(id(), 'participants named as `@username` (the author left out)', 20)),
      reactions: opt(arrayOf(ref('ReactionSummary'), 'one entry per emoji, in the order first used', 20)),
    },
    'A stored message.',
  ),
  MessageReplyRef: objectOf<MessageReplyRef>(
    {
      id: req(id()),
      seq: req(int(undefined, { minimum: 1 })),
      from: req(ref('MessageAuthor')),
      excerpt: req(str('the first 100 characters of the replied message, as it was when the reply was sent')),
    },
    'The message a reply answers.',
  ),
  ReactionSummary: objectOf<ReactionSummary>({
    emoji: req(str('one emoji or a `:short_name:`')),
    count: req(int(undefined, { minimum: 1 })),
    userIds: req(arrayOf(id(), 'the first 20 users who reacted with it', 20)),
  }),
  MessagePage: objectOf<MessagePage>({
    messages: req(arrayOf(ref('Message'), 'ascending seq')),
    hasMore: req(bool('more messages exist beyond this page in the direction asked')),
  }),
  Room: objectOf<Room>({
    id: req(id()),
    name: req(str(undefined, { minLength: 1, maxLength: 64 })),
    visibility: req(oneOfValues(['public', 'private'] as const)),
    ownerId: req(id()),
    memberCount: req(int(undefined, { minimum: 0 })),
    createdAt: req(dateTime()),
  }),
  RoomMember: objectOf<RoomMember>({
    userId: req(id()),
    username: req(str()),
    role: req(
      oneOfValues(['owner', 'admin', 'member'] as const, 'owner: all rights; admin: `room:update`, `room:kick` of members; member'),
    ),
    online: req(bool()),
    status: req(presenceStatus),
  }),
  ConversationSummary: objectOf<ConversationSummary>({
    conversationId: req(str()),
    type: req(oneOfValues(['dm', 'room'] as const)),
    peer: opt(ref('User')),
    room: opt(ref('Room')),
    lastMessage: opt(ref('Message')),
    unreadCount: req(int('messages from others after lastReadSeq', { minimum: 0 })),
    lastReadSeq: req(int(undefined, { minimum: 0 })),
    mentionCount: req(int('messages after lastReadSeq that mention you', { minimum: 0 })),
  }),
  Viewer: objectOf<Viewer>(
    {
      userId: req(id()),
      username: req(str()),
      sessionId: req(id('the tab that has the modal open')),
      exclusive: req(bool()),
      openedAt: req(dateTime()),
    },
    'One session (tab) that has a modal open.',
  ),
  ModalLock: objectOf<ModalLock>(
    {
      holder: req(ref('Viewer')),
      fencingToken: req(
        int('grows every time the lock changes hands and never goes back: the app’s backend refuses a write with an older one', {
          minimum: 1,
        }),
      ),
    },
    'The exclusive lock of a modal: held by its earliest exclusive viewer.',
  ),
  ModalState: objectOf<ModalState>({
    modalId: req(str()),
    viewers: req(arrayOf(ref('Viewer'), 'by opening order; other users’ invisible viewers are left out')),
    lock: opt(ref('ModalLock')),
  }),
  ErrorBody: objectOf<ErrorBody>(
    {
      code: req(oneOfValues(ERROR_CODES)),
      reason: req(oneOfValues(ERROR_REASON_NAMES, 'narrower than `code`; see the table in the description')),
      message: req(str('human-readable; do not parse')),
      details: opt(
        anything(
          'INVALID_PAYLOAD: FieldError[]; LIMIT_REACHED: { limit }; RATE_LIMITED: { retryAfterMs }; MODAL_HELD: { holder: Viewer } or { hidden: true }; USERS_NOT_FOUND: { userIds }',
        ),
      ),
    },
    'The error shape of every REST body (`{ error }`) and failed ack. Reasons:\n\n' +
      (Object.keys(ERROR_REASONS) as ErrorReason[])
        .map((r) => `- \`${r}\` (${ERROR_REASONS[r].code}): ${ERROR_REASONS[r].summary}`)
        .join('\n'),
  ),
  FieldError: objectOf<FieldError>({ field: req(str()), errors: req(arrayOf(str())) }),
};

/** Reasons any client event can answer with, on top of its own. */
export const COMMON_EVENT_ERRORS: readonly ErrorReason[] = ['INVALID_PAYLOAD', 'RATE_LIMITED', 'INTERNAL'];

export interface ClientEventDoc<Result> {
  /** One line. */
  summary: string;
  /** Rules a frontend needs (markdown). */
  description?: string;
  /** Reasons this event's own rules produce (COMMON_EVENT_ERRORS come on top); their codes follow. */
  errors: readonly ErrorReason[];
  /** `data` of a successful ack. */
  result: Schema<Result>;
}

export interface ServerEventDoc<Payload> {
  summary: string;
  /** Which sockets receive it. */
  receivers: string;
  payload: Schema<Payload>;
}

/** The one answer for a conversation the caller may not see (no existence oracle). */
const CONVERSATION_ACCESS =
  'A DM you are not one of the two participants of, an unknown conversation and a private room you are not a member of are all ' +
  '`NOT_FOUND` with the same message; a public room you have not joined is `FORBIDDEN`.';

const presenceUsers = objectOf<PresenceUsersResult>({
  users: req(arrayOf(ref('Presence'))),
  hasMore: opt(bool('paged answers (online users, a room’s members): more follow; ask `presence:list` again with `after: next`')),
  next: opt(str('with `hasMore`: the cursor of the next page (opaque)')),
});
const memberPage = {
  members: req(arrayOf(ref('RoomMember'), 'by join time (then user id)')),
  hasMore: req(bool('more members follow this page')),
  next: opt(str('with `hasMore`: send it as `after` to `room:members` for the next page (opaque)')),
};
const roomAndUser = objectOf<{ roomId: string; userId: string }>({ roomId: req(id()), userId: req(id()) });

export const CLIENT_EVENT_DOCS: { [E in ClientEventName]: ClientEventDoc<ClientEventMap[E]['result']> } = {
  'session:refresh': {
    summary: 'Extend this connection with a fresh token before the current one expires.',
    description: 'Without it the server emits `session:expired` and disconnects when the token expires.',
    errors: ['TOKEN_INVALID', 'TOKEN_EXPIRED', 'NOT_YOUR_TOKEN'],
    result: objectOf({ expiresAt: req(dateTime('new expiry of this connection')) }),
  },
  'message:send': {
    summary: 'Send a direct message (`to`) or a room message (`roomId`); exactly one of them.',
    description:
      'Stored before the ack. Reusing a `clientMsgId` returns the first message again and delivers nothing twice. ' +
      'Rooms: members only (a private room you are not in is `NOT_FOUND`, as an unknown one; a public one `FORBIDDEN`). ' +
      'Direct messages: any existing user, yourself included. ' +
      '`replyTo` names a live message of the same conversation (else `BAD_REQUEST` on `replyTo`); `@username` of participants become `mentions`.',
    errors: ['USER_NOT_FOUND', 'ROOM_NOT_FOUND', 'NOT_A_MEMBER'],
    result: ref('Message'),
  },
  'message:history': {
    summary: 'A page of a conversation’s messages (latest first page, `before` pages back, `after` catches up).',
    description: CONVERSATION_ACCESS,
    errors: ['CONVERSATION_NOT_FOUND', 'NOT_A_MEMBER'],
    result: ref('MessagePage'),
  },
  'message:read': {
    summary: 'Move your read pointer forward; lower or equal `seq` changes nothing.',
    description: `The other participants and your other tabs get \`message:read\` when it moves. ${CONVERSATION_ACCESS}`,
    errors: ['CONVERSATION_NOT_FOUND', 'NOT_A_MEMBER'],
    result: objectOf({ conversationId: req(str()), seq: req(int('your read pointer', { minimum: 0 })) }),
  },
  'message:edit': {
    summary: 'Edit the content of one of your messages; the others get `message:updated` (with `editedAt`).',
    description:
      'Author only (`FORBIDDEN`, `NOT_MESSAGE_AUTHOR`). Content rules as for `message:send`; mentions are resolved again. ' +
      'A message in a conversation you may not read (any more), an unknown one and a tombstone are all `MESSAGE_NOT_FOUND`.',
    errors: ['MESSAGE_NOT_FOUND', 'NOT_MESSAGE_AUTHOR'],
    result: ref('Message'),
  },
  'message:delete': {
    summary: 'Delete a message: it stays as a tombstone (`deletedAt`, empty content); the others get `message:updated`.',
    description:
      'The author, or in a room its owner or an admin. Deleting a tombstone again answers `{}` and tells nobody. ' +
      'An unknown message, or one in a conversation you may not read, is `MESSAGE_NOT_FOUND`.',
    errors: ['MESSAGE_NOT_FOUND', 'NOT_MESSAGE_AUTHOR'],
    result: emptyObject,
  },
  'message:react': {
    summary: 'Add (`on: true`) or remove your reaction; the others get `message:updated` when it changed.',
    description:
      '`emoji` is one emoji or a `:short_name:`. At most 20 distinct emojis per message and 10 reactions per user per message ' +
      '(`FORBIDDEN` with `details.limit`). Adding a reaction you already have, or removing one you do not, changes nothing.',
    errors: ['MESSAGE_NOT_FOUND', 'LIMIT_REACHED'],
    result: objectOf({ messageId: req(id()), reactions: req(arrayOf(ref('ReactionSummary'))) }),
  },
  'message:search': {
    summary: 'Full text search of the conversations you may read now, best match first (then newest).',
    description:
      'The query is words, never syntax: quotes, operators and punctuation only separate words; every word must match, the last ' +
      'also as a prefix. A room you left is not searched (not even what you saw in it). Tombstones are never found. `limit` 1–50 ' +
      '(20); while `hasMore`, send `next` as `before` (at most 500 results in all). With `conversationId`: that conversation only, ' +
      `under the rules of \`message:history\`. ${CONVERSATION_ACCESS}`,
    errors: ['CONVERSATION_NOT_FOUND', 'NOT_A_MEMBER'],
    result: objectOf({
      results: req(arrayOf(ref('Message'), 'best match first', 50)),
      hasMore: req(bool()),
      next: opt(str('with `hasMore`: send it as `before` (opaque)')),
    }),
  },
  'conversation:changes': {
    summary: 'Catch-up: everything that happened in these conversations after your cursors.',
    description:
      '`cursors`: one per conversation, the `cursor` of its last answer or a bare conversationId (from the start). Each answer ' +
      'has the new messages (ascending seq), then the messages edited, deleted or reacted to since (as they are now), the read ' +
      'pointers that moved and, for rooms, the memberships that changed (`role` absent: no longer a member). `limit` (1–100, 100) ' +
      'counts items over the whole answer; while an entry `hasMore`, ask again with its `cursor`. A conversation you may not ' +
      'read (any more) has `error` (the body `message:history` would fail with) and nothing else.',
    errors: [],
    result: objectOf({
      conversations: req(
        arrayOf(
          objectOf<ConversationChanges>({
            conversationId: req(str()),
            messages: req(arrayOf(ref('Message'))),
            reads: req(arrayOf(objectOf<ReadPointerState>({ userId: req(id()), seq: req(int(undefined, { minimum: 0 })) }))),
            members: req(arrayOf(objectOf<MembershipState>({ userId: req(id()), role: opt(str('absent: no longer a member')) }))),
            cursor: req(str('`<conversationId>@<seq>.<change>`: send it back next time')),
            hasMore: req(bool()),
            error: opt(ref('ErrorBody')),
          }),
        ),
      ),
    }),
  },
  'conversation:list': {
    summary: 'A page of your conversations, latest activity first, with unread counts.',
    description:
      '`{}` is the first page (`limit` 1–200, default 100). While `hasMore`, send `next` back as `before` for the following page. ' +
      'A conversation with new activity after you fetched a page moves to the top and does not come again further down ' +
      '(you get `message:new` for it). A `before` that is not a `next` of this event is `BAD_REQUEST`.',
    errors: [],
    result: objectOf({
      conversations: req(arrayOf(ref('ConversationSummary'), 'latest activity first', 200)),
      hasMore: req(bool('older conversations exist')),
      next: opt(str('cursor for `before`, present when `hasMore`; opaque')),
    }),
  },
  typing: {
    summary: 'Tell the other participants you are (not) typing; it ends by itself 5 s after the last `true`.',
    errors: ['USER_NOT_FOUND', 'ROOM_NOT_FOUND', 'NOT_A_MEMBER'],
    result: emptyObject,
  },
  'room:create': {
    summary: 'Create a room; you own it, `members` join at once and get `room:invited`.',
    description:
      '`FORBIDDEN` with `details.limit` when you are already in `MAX_ROOMS_PER_USER` rooms you created or joined yourself. ' +
      'A member who is already in `MAX_ROOMS_PER_USER` rooms others added them to is invited instead (an invite, `room:invited`, ' +
      'no membership); the ack’s `memberCount` counts the real members.',
    errors: ['USERS_NOT_FOUND', 'LIMIT_REACHED'],
    result: ref('Room'),
  },
  'room:list': {
    summary: 'Rooms you joined (default) or public rooms (`scope: "public"`, at most 500, by name).',
    errors: [],
    result: objectOf({ rooms: req(arrayOf(ref('Room'))) }),
  },
  'room:join': {
    summary: 'Join a public room, or a private room you are a member of or invited to; answers the first page of members.',
    description:
      'A member joining again gets the answer at once and nobody is told. `members` is the first page (at most 50); ' +
      '`room:members` pages on. `NOT_FOUND` for an unknown room and for a private room you are neither in nor invited to ' +
      '(the same answer); `FORBIDDEN` with `details.limit` when you are already in `MAX_ROOMS_PER_USER` rooms you created or joined yourself.',
    errors: ['ROOM_NOT_FOUND', 'LIMIT_REACHED'],
    result: objectOf<RoomJoinResult>({ room: req(ref('Room')), ...memberPage }),
  },
  'room:members': {
    summary: 'A page of a room’s members with their presence (members only), by join time.',
    description:
      '`after` is the `next` of the previous page (from `room:join` or `room:members`); a malformed one is `BAD_REQUEST`. ' +
      '`NOT_FOUND` for an unknown room and for a private room you are neither in nor invited to; `FORBIDDEN` otherwise for a non-member.',
    errors: ['ROOM_NOT_FOUND', 'NOT_A_MEMBER'],
    result: objectOf<RoomMembersResult>(memberPage),
  },
  'room:invite': {
    summary: 'Invite a user to a room you are a member of; they get `room:invited`.',
    description:
      'A user keeps at most `MAX_ROOMS_PER_USER` pending invites: past that the oldest is dropped. ' +
      '`NOT_FOUND` for an unknown room and for a private room you are neither in nor invited to.',
    errors: ['ROOM_NOT_FOUND', 'NOT_A_MEMBER', 'USER_NOT_FOUND'],
    result: roomAndUser,
  },
  'room:leave': {
    summary: 'Leave a room; an owner hands ownership to the longest-standing member.',
    description: '`NOT_FOUND` for an unknown room and for a private room you are neither in nor invited to.',
    errors: ['ROOM_NOT_FOUND', 'NOT_A_MEMBER'],
    result: objectOf({ roomId: req(id()) }),
  },
  'room:update': {
    summary: 'Rename a room and/or change its visibility (owner and admins); the members get `room:updated`.',
    description:
      'At least one of `name` (1–64 characters after trimming) and `visibility`. A member of another role is `FORBIDDEN` (`ROOM_ROLE_REQUIRED`); ' +
      '`NOT_FOUND` for an unknown room and for a private room you are neither in nor invited to.',
    errors: ['ROOM_NOT_FOUND', 'NOT_A_MEMBER', 'ROOM_ROLE_REQUIRED'],
    result: ref('Room'),
  },
  'room:kick': {
    summary: 'Remove a member from a room (owner and admins); none of their tabs receives the room any more.',
    description:
      'The owner removes admins and members; an admin removes plain members only; nobody removes the owner (`ROOM_ROLE_REQUIRED`). ' +
      'Yourself is `BAD_REQUEST` (use `room:leave`); a user who is not a member is `NOT_FOUND` (`MEMBER_NOT_FOUND`). ' +
      'The room, the removed user and your other tabs get `room:member-left` with `reason: "kicked"`. The user may join again (a public room) ' +
      'unless invited back to a private one.',
    errors: ['ROOM_NOT_FOUND', 'NOT_A_MEMBER', 'ROOM_ROLE_REQUIRED', 'MEMBER_NOT_FOUND'],
    result: emptyObject,
  },
  'room:set-role': {
    summary: 'Make a member an admin, or a plain member again (owner only).',
    description:
      'The owner’s own role cannot be set (`BAD_REQUEST`); ownership passes only when the owner leaves. No event: `room:members` shows roles.',
    errors: ['ROOM_NOT_FOUND', 'NOT_A_MEMBER', 'ROOM_ROLE_REQUIRED', 'MEMBER_NOT_FOUND'],
    result: emptyObject,
  },
  'room:delete': {
    summary: 'Delete a room (owner only): its members, invites and history become unreachable; members get `room:deleted`.',
    errors: ['ROOM_NOT_FOUND', 'NOT_A_MEMBER', 'ROOM_ROLE_REQUIRED'],
    result: emptyObject,
  },
  'user:block': {
    summary: 'Block a user: they cannot DM you, see you offline and get none of your typing; shared rooms work as before.',
    description:
      'Blocking again changes nothing. At most 1000 blocked users (`FORBIDDEN` with `details.limit`). Yourself is `BAD_REQUEST`. ' +
      'Their sockets subscribed to your presence get one `presence:update` showing you offline.',
    errors: ['USER_NOT_FOUND', 'LIMIT_REACHED'],
    result: emptyObject,
  },
  'user:unblock': {
    summary: 'Unblock a user (a user you did not block changes nothing).',
    errors: ['USER_NOT_FOUND'],
    result: emptyObject,
  },
  'user:blocks': {
    summary: 'A page of the users you blocked, by user id.',
    description: '`limit` 1–100 (50); while `hasMore`, send `next` back as `after`.',
    errors: [],
    result: objectOf<UserBlocksResult>({
      users: req(arrayOf(ref('User'))),
      hasMore: req(bool('more blocked users follow')),
      next: opt(str('with `hasMore`: send it as `after` for the next page')),
    }),
  },
  'presence:subscribe': {
    summary: 'Receive `presence:update` for these users (or every user with `all`); answers their current presence.',
    description:
      '`FORBIDDEN` with `details.limit` when the socket would hold more than `MAX_PRESENCE_SUBSCRIPTIONS`; nothing of that call is subscribed. With `all`, the answer holds the first 500 online users (by user id) with `hasMore`/`next`; page on with `presence:list { after: next }`.',
    errors: ['LIMIT_REACHED'],
    result: presenceUsers,
  },
  'presence:unsubscribe': {
    summary: 'Stop receiving `presence:update` for these users (`all: true` drops every subscription).',
    errors: [],
    result: emptyObject,
  },
  'presence:list': {
    summary: 'A page of online users (no fields), a room’s members (`roomId`) or the named users (`userIds`).',
    description:
      'Online users come in pages ordered by user id: `limit` 1–500 (100), then `after: next` while `hasMore`. A page may hold fewer than `limit` users (invisible users are left out) and still have `hasMore`. `after`/`limit` do not combine with `userIds`. ' +
      'With `roomId`: members only, a page of `limit` (1–500, default 100) by join time with `hasMore`/`next`; ' +
      '`after` is the previous `next`. `NOT_FOUND` for an unknown room and for a private room you are neither in nor invited to.',
    errors: ['ROOM_NOT_FOUND', 'NOT_A_MEMBER'],
    result: presenceUsers,
  },
  'presence:set': {
    summary: 'Set your status and status text for all your tabs; `invisible` shows you offline to others.',
    errors: [],
    result: ref('Presence'),
  },
  'modal:open': {
    summary:
      'Mark a modal open in this session; its watchers and your own tabs get `modal:opened` (and `modal:lock` when you take its lock).',
    description:
      '`CONFLICT` with `details.holder` when another user holds it exclusively, or when `exclusive` is asked while another user has it open (`details: { hidden: true }` and no holder when that user is invisible). `FORBIDDEN` with `details.limit` when this session already has `MAX_OPEN_MODALS` open, you have `MAX_OPEN_MODALS_PER_USER` open across your sessions, or (asking `exclusive`) you already hold `MAX_EXCLUSIVE_MODALS_PER_USER` exclusively; re-opening what the session has never counts. The first exclusive viewer holds the lock (`lock` with a new `fencingToken`).',
    errors: ['MODAL_HELD', 'LIMIT_REACHED'],
    result: ref('ModalState'),
  },
  'modal:close': {
    summary: 'Close a modal this session has open; its watchers and your own tabs get `modal:closed`.',
    errors: ['MODAL_NOT_OPEN'],
    result: objectOf({ modalId: req(str()) }),
  },
  'modal:list': {
    summary: 'Who has which modal open (one modal with `modalId`), without other users’ invisible viewers.',
    description:
      'Without `modalId`: the first 500 open modals by first opening, with `hasMore` when more are open (no paging: `modal:watch` the ones a page shows).',
    errors: [],
    result: objectOf({
      modals: req(arrayOf(ref('ModalState'))),
      hasMore: opt(bool('only without `modalId`: more than 500 modals are open')),
    }),
  },
  'modal:watch': {
    summary: 'Receive `modal:opened`, `modal:closed` and `modal:lock` for these modal ids and id prefixes on this socket.',
    description:
      'At least one of `modalIds` (≤ 500) and `prefixes` (≤ 20). The answer holds the watched modals that are open now: the named ones, then those matching each prefix by id, at most 500 in all (`hasMore: true` when a prefix matched more). `FORBIDDEN` with `details.limit` when the socket would watch more than `MAX_MODAL_WATCHES` ids plus prefixes; nothing of that call is watched. A session resumed with `auth.sessionId` keeps its watches.',
    errors: ['LIMIT_REACHED'],
    result: objectOf({
      modals: req(arrayOf(ref('ModalState'), 'at most 500')),
      hasMore: req(bool('a prefix matched more open modals than the answer holds')),
    }),
  },
  'modal:unwatch': {
    summary: 'Stop watching these modal ids and prefixes (on this socket and its session).',
    errors: [],
    result: emptyObject,
  },
  'modal:request': {
    summary:
      'Ask the exclusive holder of a modal to hand it over: the holder’s sockets and the watchers get `modal:lock` with `requestedBy`.',
    description:
      '`NOT_FOUND` when no other user holds the modal exclusively. The latest 20 requests are kept until the lock changes hands; asking again moves yours last.',
    errors: ['MODAL_NOT_HELD'],
    result: emptyObject,
  },
  'modal:release': {
    summary: 'Give up the exclusive lock you hold, to nobody or (`to`) to a user who asked for it.',
    description:
      'Your exclusive viewers of that modal (in every tab) become plain viewers. With `to`, that user’s asking session becomes the exclusive holder (a viewer of the modal) with a new `fencingToken`. `FORBIDDEN` when this session does not hold the lock, or with `details.limit` when the requester is at one of their modal caps (nothing changes); `NOT_FOUND` when `to` has not asked since the lock last changed hands.',
    errors: ['MODAL_NOT_HOLDER', 'MODAL_NO_REQUEST', 'LIMIT_REACHED'],
    result: emptyObject,
  },
};

export const SERVER_EVENT_DOCS: { [E in ServerEventName]: ServerEventDoc<ServerEventMap[E]> } = {
  session: {
    summary: 'First event of every connection: the session id to send back as `auth.sessionId` on reconnect.',
    receivers: 'the connecting socket',
    payload: objectOf({
      sessionId: req(id()),
      user: req(ref('User')),
      expiresAt: req(dateTime("when the connection's token expires: send `session:refresh` before then")),
    }),
  },
  'session:expired': {
    summary:
      'The connection ends, the server disconnects right after. `reason`: `token_expired` (no `session:refresh` in time), `logout` (`POST /auth/logout`), `revoked` (`DELETE /auth/sessions/{id}`, or a refresh token used twice), `password_changed` (`POST /users/me/password` from another session), `deleted` (the app’s backend deleted the user: `DELETE /server/v1/users/{id}`).',
    receivers:
      'the expiring socket; for an ended session, every socket opened with its tokens; for a deleted user, every socket of the user (on every instance), and no other',
    payload: objectOf({ reason: req(oneOfValues(SESSION_END_REASONS)) }),
  },
  exception: {
    summary: 'A client event emitted without an ack callback failed.',
    receivers: 'the socket that emitted the event',
    payload: objectOf({ event: req(str('the event that failed')), error: req(ref('ErrorBody')) }),
  },
  'message:new': {
    summary: 'A message was stored in one of your conversations.',
    receivers: 'every socket of every participant except the sending socket (the sender’s other tabs included)',
    payload: ref('Message'),
  },
  'message:updated': {
    summary: 'A message was edited, deleted (a tombstone) or its reactions changed: the message as it is now.',
    receivers: 'the audience of `message:new`: every socket of every participant except the acting socket',
    payload: ref('Message'),
  },
  'message:read': {
    summary: 'A participant moved their read pointer.',
    receivers: 'the other participants and the reader’s other tabs',
    payload: objectOf({ conversationId: req(str()), userId: req(id()), seq: req(int(undefined, { minimum: 0 })) }),
  },
  typing: {
    summary: 'A participant started or stopped typing (`false` is also sent 5 s after the last `true`).',
    receivers: 'the other participants’ sockets (never the typist’s own tabs)',
    payload: objectOf({ conversationId: req(str()), userId: req(id()), isTyping: req(bool()) }),
  },
  'room:member-joined': {
    summary: 'A user joined a room.',
    receivers: 'the room’s members and the joiner’s other tabs, not the acting socket',
    payload: objectOf({ roomId: req(id()), user: req(ref('User')) }),
  },
  'room:member-left': {
    summary:
      'A user left a room (`reason: "left"`), was removed (`"kicked"`) or their account was deleted by the app’s backend (`"deleted"`); `ownerId` is the new owner when the owner left.',
    receivers:
      'the room’s members and the leaver’s other tabs (kicked: every tab of the removed user and the kicker’s other tabs), not the acting socket',
    payload: objectOf({
      roomId: req(id()),
      userId: req(id()),
      ownerId: opt(id('new owner')),
      reason: req(
        oneOfValues(
          ['left', 'kicked', 'deleted'] as const,
          '`deleted`: the user was deleted; a deleted room is announced by `room:deleted` instead, once',
        ),
      ),
    }),
  },
  'room:updated': {
    summary: 'A room was renamed or its visibility changed.',
    receivers: 'the room’s members (every tab), not the acting socket',
    payload: objectOf({ room: req(ref('Room')) }),
  },
  'room:deleted': {
    summary: 'A room was deleted by its owner; it is gone from your rooms.',
    receivers: 'the room’s members (every tab), not the acting socket',
    payload: objectOf({ roomId: req(id()) }),
  },
  'room:invited': {
    summary: 'You were invited to (or added by its creator to) a room; `room:join` to take part (a member’s join only answers).',
    receivers: 'every socket of the invited user',
    payload: objectOf({ room: req(ref('Room')), by: req(ref('User')) }),
  },
  'presence:update': {
    summary: 'A watched user’s presence changed (online, offline, status, status text).',
    receivers: 'sockets subscribed to that user or to `all`, once per visible change',
    payload: ref('Presence'),
  },
  'modal:state': {
    summary:
      'Sent right after `session` on every connection: the modals you have open (in any tab) and, for a resumed session, those it watches (at most 500 of them).',
    receivers: 'the connecting socket',
    payload: objectOf({ modals: req(arrayOf(ref('ModalState'))) }),
  },
  'modal:opened': {
    summary: 'A session opened a modal (or changed `exclusive`).',
    receivers:
      'the sockets watching the modal (by id or prefix) and every socket of the viewer’s user; only the latter when the viewer is invisible',
    payload: objectOf({ modalId: req(str()), viewer: req(ref('Viewer')) }),
  },
  'modal:closed': {
    summary: 'A session closed a modal, or went away without resuming (`reason: "disconnected"`).',
    receivers: 'the same audience as `modal:opened`',
    payload: objectOf({
      modalId: req(str()),
      userId: req(id()),
      sessionId: req(id()),
      reason: req(oneOfValues(['closed', 'disconnected'] as const)),
    }),
  },
  'modal:lock': {
    summary:
      'The exclusive lock changed hands (`holder` absent: nobody holds it, `fencingToken` is the one that ended), or someone asked the holder for it (`requestedBy`, with the current holder and token).',
    receivers:
      'the sockets watching the modal and every socket of the users involved (holder, requester, releaser); only the latter when one of them is invisible',
    payload: objectOf({
      modalId: req(str()),
      holder: opt(ref('Viewer')),
      fencingToken: req(int('see ModalLock', { minimum: 1 })),
      requestedBy: opt(ref('MessageAuthor')),
    }),
  },
  'app:event': {
    summary: 'An event the app’s own backend published (`POST /server/v1/publish`); `event` and `data` are the app’s.',
    receivers: 'every socket of the addressed users and of the addressed rooms’ members, on every instance',
    payload: objectOf({
      event: req(str('the app’s event name (1–64 of a-z 0-9 : . _ -)')),
      data: req(anything('any JSON the backend sent')),
      publishedAt: req(dateTime()),
    }),
  },
};

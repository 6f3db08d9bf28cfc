import type { Message, Room, User, Viewer } from './models';

/**
 * Outgoing webhooks: every type the service can send and the `data` each carries. A receiver
 * gets `{ id, type, createdAt, data }`, signed the Standard Webhooks way (`webhook-id`,
 * `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`).
 */
export const WEBHOOK_EVENT_TYPES = [
  'user.online',
  'user.offline',
  'message.created',
  'message.updated',
  'message.deleted',
  'room.created',
  'room.member_joined',
  'room.member_left',
  'modal.opened',
  'modal.closed',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export interface WebhookDataMap {
  /** The user's first socket (after being offline past the grace period); invisible users are not announced. */
  'user.online': { user: User };
  /** The grace period after the user's last socket ended with no socket back; never on a reload or deploy. */
  'user.offline': { user: User; lastSeenAt: string };
  'message.created': { message: Message };
  /** Recorded by the edit path (`WebhookOutbox.record(trx, 'message.updated', { message })`). */
  'message.updated': { message: Message };
  /** Recorded by the delete path (`WebhookOutbox.record(trx, 'message.deleted', { messageId, conversationId })`). */
  'message.deleted': { messageId: string; conversationId: string };
  'room.created': { room: Room; memberIds: string[] };
  'room.member_joined': { roomId: string; userId: string };
  'room.member_left': { roomId: string; userId: string; ownerId?: string };
  'modal.opened': { modalId: string; viewer: Viewer };
  'modal.closed': { modalId: string; userId: string; sessionId: string; reason: 'closed' | 'disconnected' };
}

/** The JSON body of every delivery. */
export interface WebhookBody<T extends WebhookEventType = WebhookEventType> {
  id: string;
  type: T;
  createdAt: string;
  data: WebhookDataMap[T];
}

import { Inject, Injectable, Optional, type OnApplicationShutdown } from '@nestjs/common';
import type { User } from '../contracts';
import { AccessService } from '../access/access.service';
import { dmConversationId, roomConversationId } from '../access/conversation-id';
import { rooms } from '../realtime/rooms';
import { RealtimeService } from '../realtime/realtime.service';
import { requireOneTarget } from './dto/target';

export const TYPING_EXPIRY_MS = Symbol('TYPING_EXPIRY_MS');
export const DEFAULT_TYPING_EXPIRY_MS = 5000;

export interface TypingInput {
  to?: string;
  roomId?: string;
  isTyping: boolean;
}

/**
 * Relays `typing` to the other participants (never to the typist's own sockets). A typing
 * indicator that is not refreshed ends by itself: the server emits `isTyping: false` after
 * 5 s. Timers are per (conversation, user) on the instance that received the event.
 */
@Injectable()
export class TypingService implements OnApplicationShutdown {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly access: AccessService,
    private readonly realtime: RealtimeService,
    @Optional() @Inject(TYPING_EXPIRY_MS) private readonly expiryMs: number = DEFAULT_TYPING_EXPIRY_MS,
  ) {}

  async typing(user: User, input: TypingInput): Promise<Record<string, never>> {
    const target = requireOneTarget(input);
    let conversationId: string;
    let to: string;
    if (target.kind === 'user') {
      if (target.userId !== user.id) target.userId = await this.access.requireUser(target.userId);
      conversationId = dmConversationId(user.id, target.userId);
      to = rooms.user(target.userId);
    } else {
      await this.access.requireRoomMember(user.id, target.roomId, 'Only members may type in this room');
      conversationId = roomConversationId(target.roomId);
      to = rooms.chatRoom(target.roomId);
    }
    const key = `${conversationId}|${user.id}`;
    this.clear(key);
    const except = rooms.user(user.id);
    if (input.isTyping) {
      const timer = setTimeout(() => {
        this.timers.delete(key);
        this.realtime.emit(to, 'typing', { conversationId, userId: user.id, isTyping: false }, except);
      }, this.expiryMs);
      timer.unref();
      this.timers.set(key, timer);
    }
    this.realtime.emit(to, 'typing', { conversationId, userId: user.id, isTyping: input.isTyping }, except);
    return {};
  }

  /** Pending expiries (for tests). */
  get pending(): number {
    return this.timers.size;
  }

  private clear(key: string): void {
    const timer = this.timers.get(key);
    if (timer) clearTimeout(timer);
    this.timers.delete(key);
  }

  onApplicationShutdown(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}

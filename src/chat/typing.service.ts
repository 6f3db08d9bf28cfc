import { Inject, Injectable, Optional } from '@nestjs/common';
import type { User } from '../contracts';
import { AccessService } from '../access/access.service';
import { dmConversationId, roomConversationId } from '../access/conversation-id';
import type { DueDeadline } from '../realtime/grace/grace-deadlines';
import { GracePeriods, type GraceKind } from '../realtime/grace/grace-periods';
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

/** What an expiry needs to say `isTyping: false`: the conversation, the typist and where it goes. */
interface TypingExpiry {
  conversationId: string;
  userId: string;
  to: string;
  /** A room's typing leaves out the users the typist blocked (a DM to one of them is not relayed at all). */
  room: boolean;
}

/**
 * Relays `typing` to the other participants (never to the typist's own sockets, nor to the users
 * the typist blocked). An indicator that is not refreshed ends by itself: `isTyping: false` 5 s
 * after the last `true`. The expiry is a grace period (GracePeriods) per (conversation, typist):
 * its deadline is shared by every instance, so a refresh that arrives on another instance moves
 * it, and the earlier instance's timer then finds it not yet due and says nothing.
 */
@Injectable()
export class TypingService {
  private readonly expiries: GraceKind;

  constructor(
    private readonly access: AccessService,
    private readonly realtime: RealtimeService,
    grace: GracePeriods,
    @Optional() @Inject(TYPING_EXPIRY_MS) private readonly expiryMs: number = DEFAULT_TYPING_EXPIRY_MS,
  ) {
    this.expiries = grace.kind('typing', (due) => this.expire(due));
  }

  async typing(user: User, input: TypingInput): Promise<Record<string, never>> {
    const target = requireOneTarget(input);
    let expiry: TypingExpiry;
    if (target.kind === 'user') {
      target.userId = await this.access.requireMayMessage(user.id, target.userId);
      // A blocker's typing never reaches the user they blocked.
      if (target.userId !== user.id && (await this.access.isBlocked(user.id, target.userId))) return {};
      expiry = { conversationId: dmConversationId(user.id, target.userId), userId: user.id, to: rooms.user(target.userId), room: false };
    } else {
      await this.access.requireRoomMember(user.id, target.roomId, 'Only members may type in this room');
      expiry = { conversationId: roomConversationId(target.roomId), userId: user.id, to: rooms.chatRoom(target.roomId), room: true };
    }
    const key = `${expiry.conversationId}|${user.id}`;
    if (input.isTyping) await this.expiries.start(key, JSON.stringify(expiry), this.expiryMs);
    else await this.expiries.cancel(key);
    await this.relay(expiry, input.isTyping);
    return {};
  }

  /** Keys with an expiry running on this instance's timers (for tests). */
  get pending(): number {
    return [...this.expiries.pendingIds()].length;
  }

  private async expire(due: readonly DueDeadline[]): Promise<void> {
    for (const { payload } of due) await this.relay(JSON.parse(payload) as TypingExpiry, false);
  }

  private async relay({ conversationId, userId, to, room }: TypingExpiry, isTyping: boolean): Promise<void> {
    const blocked = room ? await this.access.blockedBy(userId) : [];
    this.realtime.emit(to, 'typing', { conversationId, userId, isTyping }, [rooms.user(userId), ...blocked.map(rooms.user)]);
  }
}

import { Injectable } from '@nestjs/common';
import type { Presence, User, UserBlocksResult } from '../contracts';
import { AppError } from '../common/errors/app-error';
import { AccessService } from '../access/access.service';
import { InjectPresenceQuery, type PresenceQuery } from '../access/presence-query';
import { presenceRooms } from '../presence/presence-rooms';
import { rooms } from '../realtime/rooms';
import { RealtimeService } from '../realtime/realtime.service';
import { UsersService } from '../users/users.service';
import { BlocksRepository } from './blocks.repository';
import { BLOCKS_PAGE_DEFAULT } from './dto/user-block.dto';

/** Users one user may block; past it `user:block` is FORBIDDEN with `details.limit` (unblock someone first). */
export const MAX_BLOCKS_PER_USER = 1000;

/**
 * `user:block`, `user:unblock`, `user:blocks`. The effects are access rules (AccessService): a
 * blocked user cannot DM the blocker, sees them offline, and gets none of their typing. Nothing
 * is cached: each rule is one primary-key lookup (or one range of at most MAX_BLOCKS_PER_USER
 * ids), so every instance sees a block the moment it is committed.
 */
@Injectable()
export class BlocksService {
  constructor(
    private readonly blocks: BlocksRepository,
    private readonly access: AccessService,
    private readonly users: UsersService,
    private readonly realtime: RealtimeService,
    @InjectPresenceQuery() private readonly presence: PresenceQuery,
  ) {}

  async block(blocker: User, userId: string): Promise<Record<string, never>> {
    const blocked = await this.other(blocker, userId);
    const before = await this.seenBy(blocker, blocked.id);
    if (!(await this.blocks.add(blocker.id, blocked.id, new Date().toISOString(), MAX_BLOCKS_PER_USER))) return {};
    // Their subscribed sockets saw the blocker online: from now on they see them offline.
    if (before.status !== 'offline')
      await this.tell(blocker, blocked.id, { userId: blocker.id, username: blocker.username, status: 'offline', connections: 0 });
    return {};
  }

  async unblock(blocker: User, userId: string): Promise<Record<string, never>> {
    const blocked = await this.other(blocker, userId);
    if (!(await this.blocks.remove(blocker.id, blocked.id))) return {};
    const now = await this.seenBy(blocker, blocked.id);
    if (now.status !== 'offline') await this.tell(blocker, blocked.id, now);
    return {};
  }

  /** A page of the users the caller blocked, by user id; `after` is the previous page's `next`. */
  async list(blocker: User, after: string | undefined, limit = BLOCKS_PAGE_DEFAULT): Promise<UserBlocksResult> {
    const page = await this.blocks.page(blocker.id, after, limit);
    const byId = new Map((await this.users.findByIds(page.ids)).map((u) => [u.id, u]));
    const users = page.ids.flatMap((id) => byId.get(id) ?? []);
    return page.hasMore ? { users, hasMore: true, next: page.ids[page.ids.length - 1] } : { users, hasMore: false };
  }

  private async other(caller: User, userId: string): Promise<User> {
    if (userId === caller.id)
      throw AppError.invalid('Invalid payload: you cannot block yourself', [{ field: 'userId', errors: ['userId must not be yourself'] }]);
    const [user] = await this.users.findByIds([userId]);
    if (!user) throw AppError.of('USER_NOT_FOUND');
    return user;
  }

  /** The blocker's presence as `viewerId` sees it. */
  private async seenBy(blocker: User, viewerId: string): Promise<Presence> {
    return (await this.presence.presenceOf([blocker], viewerId)).get(blocker.id)!;
  }

  /** A `presence:update` of the blocker to those sockets of `viewerId` that watch the blocker. */
  private tell(blocker: User, viewerId: string, presence: Presence): Promise<void> {
    return this.realtime.emitWhereAlso(
      rooms.user(viewerId),
      [presenceRooms.user(blocker.id), presenceRooms.all],
      'presence:update',
      presence,
    );
  }
}

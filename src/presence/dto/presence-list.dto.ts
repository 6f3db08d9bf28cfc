import { ArrayMaxSize, IsArray, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import type { PresenceListPayload } from '../../contracts';
import { MAX_PRESENCE_USER_IDS } from './presence-target.dto';

/** Users per page of `presence:list` (a room's members, the online users); also the size of the online snapshot `presence:subscribe { all }` answers. */
export const PRESENCE_LIST_PAGE_DEFAULT = 100;
export const PRESENCE_LIST_PAGE_MAX = 500;

/**
 * `presence:list`: nothing (online users), `roomId` (its members) or `userIds` (those users).
 * `after` (the previous answer's `next`) and `limit` page the first two.
 */
export class PresenceListDto implements PresenceListPayload {
  @IsOptional()
  @IsString()
  @Length(1, 64)
  roomId?: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_PRESENCE_USER_IDS)
  @IsString({ each: true })
  @Length(1, 64, { each: true })
  userIds?: string[];

  /** The `next` of the previous page: the last user id (online users) or an opaque room cursor. */
  @IsOptional()
  @IsString()
  @Length(1, 256)
  after?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(PRESENCE_LIST_PAGE_MAX)
  limit?: number;
}

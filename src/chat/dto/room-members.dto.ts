import { IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import type { RoomMembersPayload } from '../../contracts';
import { MEMBER_CURSOR_MAX_LENGTH } from '../../access/member-cursor';

/** Members per page of `room:members` (and the first page in the `room:join` answer). */
export const MEMBER_PAGE_DEFAULT = 50;
export const MEMBER_PAGE_MAX = 100;

export class RoomMembersDto implements RoomMembersPayload {
  @IsString()
  @Length(1, 64)
  roomId: string;

  /** `next` of the previous page (opaque). */
  @IsOptional()
  @IsString()
  @Length(1, MEMBER_CURSOR_MAX_LENGTH)
  after?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MEMBER_PAGE_MAX)
  limit?: number;
}

import { IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import type { UserBlockPayload, UserBlocksPayload } from '../../contracts';

/** Users per page of `user:blocks`. */
export const BLOCKS_PAGE_DEFAULT = 50;
export const BLOCKS_PAGE_MAX = 100;

export class UserBlockDto implements UserBlockPayload {
  @IsString()
  @Length(1, 64)
  userId: string;
}

export class UserBlocksDto implements UserBlocksPayload {
  /** `next` of the previous page (opaque). */
  @IsOptional()
  @IsString()
  @Length(1, 64)
  after?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(BLOCKS_PAGE_MAX)
  limit?: number;
}

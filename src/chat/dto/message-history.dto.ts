import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import type { MessageHistoryPayload } from '../../contracts';

/** seq columns are 32-bit integers on both engines; a larger bound is a client error, not a database error. */
export const MAX_SEQ = 2_147_483_647;

/** Page bounds shared by `message:history` and `GET /conversations/:id/messages`. */
export class HistoryPageQuery {
  /** Only messages with a seq lower than this. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_SEQ)
  before?: number;

  /** Only messages with a seq higher than this (catch-up after being offline). */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_SEQ)
  after?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}

export class MessageHistoryDto extends HistoryPageQuery implements MessageHistoryPayload {
  @IsString()
  @MaxLength(160)
  conversationId: string;
}

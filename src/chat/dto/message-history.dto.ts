import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import type { MessageHistoryPayload } from '../../contracts';

/** Page bounds shared by `message:history` and `GET /conversations/:id/messages`. */
export class HistoryPageQuery {
  /** Only messages with a seq lower than this. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  before?: number;

  /** Only messages with a seq higher than this (catch-up after being offline). */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
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

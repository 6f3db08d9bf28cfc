import { applyDecorators } from '@nestjs/common';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import type { MessageHistoryPayload } from '../../contracts';
import { QueryInt } from '../../common/validation/query-int.decorator';

/** seq columns are 32-bit integers on both engines; a larger bound is a client error, not a database error. */
export const MAX_SEQ = 2_147_483_647;

/**
 * The rules of each page bound, shared by the socket payload and the REST query. Listed in the
 * order stacked decorators run (bottom up), so the documented schema says `integer` as before.
 */
const Before = () => applyDecorators(Max(MAX_SEQ), Min(1), IsInt(), IsOptional());
const After = () => applyDecorators(Max(MAX_SEQ), Min(0), IsInt(), IsOptional());
const Limit = () => applyDecorators(Max(100), Min(1), IsInt(), IsOptional());

/** `message:history`: JSON, so the bounds must be numbers (`"100"` or `true` is BAD_REQUEST). */
export class MessageHistoryDto implements MessageHistoryPayload {
  @IsString()
  @MaxLength(160)
  conversationId: string;

  /** Only messages with a seq lower than this. */
  @Before()
  before?: number;

  /** Only messages with a seq higher than this (catch-up after being offline). */
  @After()
  after?: number;

  @Limit()
  limit?: number;
}

/** `GET /conversations/:id/messages?before=&after=&limit=`: the same bounds from query strings, converted strictly. */
export class HistoryPageQuery {
  /** Only messages with a seq lower than this. */
  @QueryInt()
  @Before()
  before?: number;

  /** Only messages with a seq higher than this (catch-up after being offline). */
  @QueryInt()
  @After()
  after?: number;

  @QueryInt()
  @Limit()
  limit?: number;
}

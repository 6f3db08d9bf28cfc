import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import type { ConversationListPayload } from '../../contracts';

export const DEFAULT_CONVERSATION_PAGE = 100;
export const MAX_CONVERSATION_PAGE = 200;

/**
 * `conversation:list`: one page, latest activity first. `{}` (or no payload) is the first page.
 * Numbers are not coerced: `limit: "100"` is refused like any other wrong type.
 */
export class ConversationListDto implements ConversationListPayload {
  /** Conversations per page. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_CONVERSATION_PAGE)
  limit?: number;

  /** The `next` cursor of the previous page. */
  @IsOptional()
  @IsString()
  @MaxLength(512)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'before must be the `next` cursor of a previous conversation:list page' })
  before?: string;
}

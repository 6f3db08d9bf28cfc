import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import type { ConversationChangesPayload } from '../../contracts';

/** `conversation:changes`: cursors are checked by the service (`decodeChangeCursor`). */
export class ConversationChangesDto implements ConversationChangesPayload {
  /** One per conversation: the `cursor` of its last answer, or a bare conversationId. */
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  cursors: string[];

  /** Items in the whole answer. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}

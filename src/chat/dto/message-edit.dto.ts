import { IsBoolean, IsInt, IsOptional, IsString, Length, Matches, Max, MaxLength, Min } from 'class-validator';
import type { MessageDeletePayload, MessageEditPayload, MessageReactPayload, MessageSearchPayload } from '../../contracts';
import { IsReactionEmoji } from '../emoji';

/** `message:edit`: the length rule (1–MESSAGE_MAX_LENGTH after trimming) is the service's, as for `message:send`. */
export class MessageEditDto implements MessageEditPayload {
  @IsString()
  @Length(1, 64)
  messageId: string;

  @IsString()
  content: string;
}

export class MessageDeleteDto implements MessageDeletePayload {
  @IsString()
  @Length(1, 64)
  messageId: string;
}

export class MessageReactDto implements MessageReactPayload {
  @IsString()
  @Length(1, 64)
  messageId: string;

  /** One emoji, or a `:short_name:` (a-z 0-9 _ + -, at most 32). */
  @IsString()
  @MaxLength(64)
  @IsReactionEmoji()
  emoji: string;

  @IsBoolean()
  on: boolean;
}

export class MessageSearchDto implements MessageSearchPayload {
  /** Words to find; anything else (quotes, operators) is only a separator. */
  @IsString()
  @Length(1, 200)
  query: string;

  @IsOptional()
  @IsString()
  @MaxLength(160)
  conversationId?: string;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(50)
  limit?: number;

  /** The `next` of the previous page. */
  @IsOptional()
  @IsString()
  @Matches(/^\d{1,3}$/, { message: 'before must be the `next` of a previous message:search page' })
  before?: string;
}

import { IsInt, IsString, Max, MaxLength, Min } from 'class-validator';
import type { MessageReadPayload } from '../../contracts';
import { MAX_SEQ } from './message-history.dto';

export class MessageReadDto implements MessageReadPayload {
  @IsString()
  @MaxLength(160)
  conversationId: string;

  @IsInt()
  @Min(0)
  @Max(MAX_SEQ)
  seq: number;
}

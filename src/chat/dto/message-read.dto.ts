import { IsInt, IsString, MaxLength, Min } from 'class-validator';
import type { MessageReadPayload } from '../../contracts';

export class MessageReadDto implements MessageReadPayload {
  @IsString()
  @MaxLength(160)
  conversationId: string;

  @IsInt()
  @Min(0)
  seq: number;
}

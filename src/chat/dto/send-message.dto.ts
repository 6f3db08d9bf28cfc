import { IsOptional, IsString, Length } from 'class-validator';
import type { MessageSendPayload } from '../../contracts';
import { ChatTargetDto } from './target';

/**
 * The length rule (1–MESSAGE_MAX_LENGTH after trimming) depends on configuration, so the
 * service checks it; here only the type. The packet size limit bounds the raw string.
 */
export class SendMessageDto extends ChatTargetDto implements MessageSendPayload {
  @IsString()
  content: string;

  @IsOptional()
  @IsString()
  @Length(1, 64)
  clientMsgId?: string;

  /** A message of the same conversation this one answers. */
  @IsOptional()
  @IsString()
  @Length(1, 64)
  replyTo?: string;
}

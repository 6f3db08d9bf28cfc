import { IsOptional, IsString, Length } from 'class-validator';
import type { MessageSendPayload } from '../../contracts';

/**
 * The length rule (1–MESSAGE_MAX_LENGTH after trimming) depends on configuration, so the
 * service checks it; here only the type. The packet size limit bounds the raw string.
 */
export class SendMessageDto implements MessageSendPayload {
  @IsOptional()
  @IsString()
  @Length(1, 64)
  to?: string;

  @IsOptional()
  @IsString()
  @Length(1, 64)
  roomId?: string;

  @IsString()
  content: string;

  @IsOptional()
  @IsString()
  @Length(1, 64)
  clientMsgId?: string;
}

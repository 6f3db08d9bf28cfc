import { IsOptional, IsString, Length } from 'class-validator';
import { SendMessageDto } from '../../chat/dto/send-message.dto';

/** `message:send` plus who it is from: a user, or (omitted) the system user. */
export class ServerMessageDto extends SendMessageDto {
  @IsOptional()
  @IsString()
  @Length(1, 64)
  from?: string;
}

import { IsBoolean, IsOptional, IsString, Length } from 'class-validator';
import type { TypingPayload } from '../../contracts';

export class TypingDto implements TypingPayload {
  @IsOptional()
  @IsString()
  @Length(1, 64)
  to?: string;

  @IsOptional()
  @IsString()
  @Length(1, 64)
  roomId?: string;

  @IsBoolean()
  isTyping: boolean;
}

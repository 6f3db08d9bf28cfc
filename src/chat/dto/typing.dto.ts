import { IsBoolean } from 'class-validator';
import type { TypingPayload } from '../../contracts';
import { ChatTargetDto } from './target';

export class TypingDto extends ChatTargetDto implements TypingPayload {
  @IsBoolean()
  isTyping: boolean;
}

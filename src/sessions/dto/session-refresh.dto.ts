import { IsString, Length } from 'class-validator';
import type { SessionRefreshPayload } from '../../contracts';

export class SessionRefreshDto implements SessionRefreshPayload {
  @IsString()
  @Length(1, 4096)
  token: string;
}

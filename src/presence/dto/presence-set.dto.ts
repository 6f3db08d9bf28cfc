import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import type { PresenceSetPayload, SettableStatus } from '../../contracts';

export const SETTABLE_STATUSES: readonly SettableStatus[] = ['online', 'away', 'busy', 'invisible'];

export class PresenceSetDto implements PresenceSetPayload {
  @IsIn(SETTABLE_STATUSES)
  status: SettableStatus;

  /** Replaces the current text; omitted or blank clears it. */
  @IsOptional()
  @IsString()
  @MaxLength(140)
  statusText?: string;
}

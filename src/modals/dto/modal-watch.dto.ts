import { ArrayMaxSize, IsArray, IsOptional, IsString, Length } from 'class-validator';
import type { ModalWatchPayload } from '../../contracts';

export const MAX_WATCH_MODAL_IDS = 500;
export const MAX_WATCH_PREFIXES = 20;

/** `modal:watch` and `modal:unwatch`: modal ids (≤ 500 per call) and id prefixes (≤ 20 per call). */
export class ModalWatchDto implements ModalWatchPayload {
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_WATCH_MODAL_IDS)
  @IsString({ each: true })
  @Length(1, 128, { each: true })
  modalIds?: string[];

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_WATCH_PREFIXES)
  @IsString({ each: true })
  @Length(1, 128, { each: true })
  prefixes?: string[];
}

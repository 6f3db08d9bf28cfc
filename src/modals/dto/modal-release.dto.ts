import { IsOptional, IsString, Length } from 'class-validator';
import type { ModalReleasePayload } from '../../contracts';

export class ModalReleaseDto implements ModalReleasePayload {
  @IsString()
  @Length(1, 128)
  modalId: string;

  @IsOptional()
  @IsString()
  @Length(1, 64)
  to?: string;
}

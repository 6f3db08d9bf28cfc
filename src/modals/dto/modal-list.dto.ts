import { IsOptional, IsString, Length } from 'class-validator';
import type { ModalListPayload } from '../../contracts';

export class ModalListDto implements ModalListPayload {
  @IsOptional()
  @IsString()
  @Length(1, 128)
  modalId?: string;
}

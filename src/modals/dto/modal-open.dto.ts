import { IsBoolean, IsOptional, IsString, Length } from 'class-validator';
import type { ModalOpenPayload } from '../../contracts';

export class ModalOpenDto implements ModalOpenPayload {
  @IsString()
  @Length(1, 128)
  modalId: string;

  @IsOptional()
  @IsBoolean()
  exclusive?: boolean;
}

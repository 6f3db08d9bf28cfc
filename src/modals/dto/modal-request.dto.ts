import { IsString, Length } from 'class-validator';
import type { ModalRequestPayload } from '../../contracts';

export class ModalRequestDto implements ModalRequestPayload {
  @IsString()
  @Length(1, 128)
  modalId: string;
}

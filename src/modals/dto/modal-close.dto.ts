import { IsString, Length } from 'class-validator';
import type { ModalClosePayload } from '../../contracts';

export class ModalCloseDto implements ModalClosePayload {
  @IsString()
  @Length(1, 128)
  modalId: string;
}

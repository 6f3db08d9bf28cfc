import { ConnectedSocket, MessageBody, SubscribeMessage } from '@nestjs/websockets';
import type { ModalCloseResult, ModalListResult, ModalState } from '../contracts';
import { RealtimeGateway } from '../realtime/realtime-gateway.decorator';
import type { AppSocket } from '../realtime/socket.types';
import { ModalCloseDto } from './dto/modal-close.dto';
import { ModalListDto } from './dto/modal-list.dto';
import { ModalOpenDto } from './dto/modal-open.dto';
import { ModalsService, type ModalActor } from './modals.service';

const actor = (socket: AppSocket): ModalActor => ({ user: socket.data.user, sessionId: socket.data.sessionId });

@RealtimeGateway()
export class ModalsGateway {
  constructor(private readonly modals: ModalsService) {}

  @SubscribeMessage('modal:open')
  open(@ConnectedSocket() socket: AppSocket, @MessageBody() body: ModalOpenDto): Promise<ModalState> {
    return this.modals.open(actor(socket), body.modalId, body.exclusive === true);
  }

  @SubscribeMessage('modal:close')
  close(@ConnectedSocket() socket: AppSocket, @MessageBody() body: ModalCloseDto): Promise<ModalCloseResult> {
    return this.modals.close(actor(socket), body.modalId);
  }

  @SubscribeMessage('modal:list')
  list(@MessageBody() body: ModalListDto): Promise<ModalListResult> {
    return this.modals.list(body.modalId);
  }
}

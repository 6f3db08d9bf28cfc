import { ConnectedSocket, MessageBody } from '@nestjs/websockets';
import type { ModalCloseResult, ModalListResult, ModalState } from '../contracts';
import { OnClientEvent } from '../realtime/client-event.decorator';
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

  @OnClientEvent('modal:open', ModalOpenDto)
  open(@ConnectedSocket() socket: AppSocket, @MessageBody() body: ModalOpenDto): Promise<ModalState> {
    return this.modals.open(actor(socket), body.modalId, body.exclusive === true);
  }

  @OnClientEvent('modal:close', ModalCloseDto)
  close(@ConnectedSocket() socket: AppSocket, @MessageBody() body: ModalCloseDto): Promise<ModalCloseResult> {
    return this.modals.close(actor(socket), body.modalId);
  }

  @OnClientEvent('modal:list', ModalListDto)
  list(@MessageBody() body: ModalListDto): Promise<ModalListResult> {
    return this.modals.list(body.modalId);
  }
}

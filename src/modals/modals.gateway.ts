import { ConnectedSocket, MessageBody } from '@nestjs/websockets';
import type { ModalCloseResult, ModalListResult, ModalState, ModalWatchResult } from '../contracts';
import { OnClientEvent } from '../realtime/client-event.decorator';
import { RealtimeGateway } from '../realtime/realtime-gateway.decorator';
import type { AppSocket } from '../realtime/socket.types';
import { ModalCloseDto } from './dto/modal-close.dto';
import { ModalListDto } from './dto/modal-list.dto';
import { ModalOpenDto } from './dto/modal-open.dto';
import { ModalReleaseDto } from './dto/modal-release.dto';
import { ModalRequestDto } from './dto/modal-request.dto';
import { ModalWatchDto } from './dto/modal-watch.dto';
import { ModalsService, type ModalActor } from './modals.service';

const actor = (socket: AppSocket): ModalActor => ({ user: socket.data.user, sessionId: socket.data.sessionId });
const watches = (body: ModalWatchDto) => ({ modalIds: body.modalIds ?? [], prefixes: body.prefixes ?? [] });

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
  list(@ConnectedSocket() socket: AppSocket, @MessageBody() body: ModalListDto): Promise<ModalListResult> {
    return this.modals.list(socket.data.user.id, body.modalId);
  }

  @OnClientEvent('modal:watch', ModalWatchDto)
  watch(@ConnectedSocket() socket: AppSocket, @MessageBody() body: ModalWatchDto): Promise<ModalWatchResult> {
    return this.modals.watch(socket, watches(body));
  }

  @OnClientEvent('modal:unwatch', ModalWatchDto)
  unwatch(@ConnectedSocket() socket: AppSocket, @MessageBody() body: ModalWatchDto): Promise<Record<string, never>> {
    return this.modals.unwatch(socket, watches(body));
  }

  @OnClientEvent('modal:request', ModalRequestDto)
  request(@ConnectedSocket() socket: AppSocket, @MessageBody() body: ModalRequestDto): Promise<Record<string, never>> {
    return this.modals.request(actor(socket), body.modalId);
  }

  @OnClientEvent('modal:release', ModalReleaseDto)
  release(@ConnectedSocket() socket: AppSocket, @MessageBody() body: ModalReleaseDto): Promise<Record<string, never>> {
    return this.modals.release(actor(socket), body.modalId, body.to);
  }
}

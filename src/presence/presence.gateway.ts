import { ConnectedSocket, MessageBody } from '@nestjs/websockets';
import type { Presence, PresenceUsersResult } from '../contracts';
import { OnClientEvent } from '../realtime/client-event.decorator';
import { RealtimeGateway } from '../realtime/realtime-gateway.decorator';
import type { AppSocket } from '../realtime/socket.types';
import { PresenceListDto } from './dto/presence-list.dto';
import { PresenceSetDto } from './dto/presence-set.dto';
import { PresenceTargetDto } from './dto/presence-target.dto';
import { PresenceService } from './presence.service';

@RealtimeGateway()
export class PresenceGateway {
  constructor(private readonly presence: PresenceService) {}

  @OnClientEvent('presence:subscribe', PresenceTargetDto)
  subscribe(@ConnectedSocket() socket: AppSocket, @MessageBody() body: PresenceTargetDto): Promise<PresenceUsersResult> {
    return this.presence.subscribe(socket, { userIds: body.userIds ?? [], all: body.all === true });
  }

  @OnClientEvent('presence:unsubscribe', PresenceTargetDto)
  unsubscribe(@ConnectedSocket() socket: AppSocket, @MessageBody() body: PresenceTargetDto): Promise<Record<string, never>> {
    return this.presence.unsubscribe(socket, { userIds: body.userIds ?? [], all: body.all === true });
  }

  @OnClientEvent('presence:list', PresenceListDto)
  list(@ConnectedSocket() socket: AppSocket, @MessageBody() body: PresenceListDto): Promise<PresenceUsersResult> {
    return this.presence.list(socket.data.user, body);
  }

  @OnClientEvent('presence:set', PresenceSetDto)
  set(@ConnectedSocket() socket: AppSocket, @MessageBody() body: PresenceSetDto): Promise<Presence> {
    return this.presence.set(socket, body.status, body.statusText);
  }
}
